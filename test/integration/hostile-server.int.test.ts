/**
 * What a broken or hostile server does to the connector (issue 9). Dovecot cannot be made to
 * stall mid-FETCH, trickle bytes, lie about literals, send endless lines or junk, or answer
 * SEARCH with THROTTLED or BADCHARSET, so a scripted responder (helpers/scripted-imap-server)
 * plays the server. Each case ends in a typed error within the timeout + 10%, with memory
 * bounded, and never an unhandled rejection or exception.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import {
  discover,
  read,
  readStream,
  runImport,
  testConnection,
  testQuery,
  write,
} from '../../src/index.js';
import {
  expand,
  fetchResponse,
  flood,
  MESSAGE,
  startScriptedServer,
  trickle,
  type Greeting,
  type Script,
  type ScriptedServer,
} from '../helpers/scripted-imap-server.js';
import { captureIo } from '../helpers/capture-io.js';
import { tempDir } from '../helpers/temp-dir.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

const TIMEOUT_MS = 1500;
const LATE_MS = TIMEOUT_MS * 1.1;
let server: ScriptedServer | undefined;
// Late rejections of abandoned commands surface on the next turns of the event loop.
failOnUnhandled(100);

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(script: Script, greeting?: Greeting): Promise<Record<string, unknown>> {
  server = await startScriptedServer(script, greeting);
  return {
    server: '127.0.0.1',
    port: server.port,
    security: 'none',
    username: 'u',
    password: 'p',
    timeout: TIMEOUT_MS,
    // Each case is about the one session's error; going on after it is tested below.
    reconnectAttempts: 0,
  };
}

/**
 * Runs `work`, returning its error and how long after `command` arrived at the server it failed,
 * less what the machine itself added: past the timeout, the lag of a plain timer armed when the
 * command arrived (CI runs two test files, Dovecot and child processes on two cores).
 */
async function failure(
  work: () => Promise<unknown>,
  command: string,
): Promise<{ code?: string; message?: string; late: number }> {
  const probe = server!.timerProbe(command, TIMEOUT_MS);
  try {
    await work();
  } catch (error) {
    const late = Date.now() - (server!.arrivedAt(command) ?? Date.now());
    const lag = late > TIMEOUT_MS ? await probe.lag() : 0;
    return { ...(error as { code?: string; message?: string }), late: late - lag };
  }
  throw new Error('expected the operation to fail');
}

describe('a scripted server that behaves', () => {
  it('gives the three messages it holds (the harness works)', async () => {
    const config = await serve({});
    const page = await read(config, 'ALL', { select: 'full' });
    expect(page.rows.map((row) => (row as { subject: string }).subject)).toEqual([
      'scripted 1',
      'scripted 2',
      'scripted 3',
    ]);
  });
});

describe('stalls end within the timeout + 10%', () => {
  it.each([
    [
      'silent after the first message of a FETCH',
      (ctx: Parameters<NonNullable<Script['UID FETCH']>>[0]) =>
        ctx.write(fetchResponse(1, 1, ctx.args)),
    ],
    [
      'sending one byte every 100 ms',
      (ctx: Parameters<NonNullable<Script['UID FETCH']>>[0]) =>
        trickle(
          ctx.socket,
          fetchResponse(1, 1, ctx.args).repeat(3) + `${ctx.tag} OK done\r\n`,
          100,
        ),
    ],
    [
      'announcing a 50-byte literal and sending 10',
      (ctx: Parameters<NonNullable<Script['UID FETCH']>>[0]) =>
        ctx.write(`* 1 FETCH (UID 1 BODY[] {50}\r\n0123456789)\r\n${ctx.tag} OK done\r\n`),
    ],
  ])('(UID FETCH %s) fails with SOCKET_TIMEOUT', async (_name, fetch) => {
    const config = await serve({ 'UID FETCH': fetch });
    const error = await failure(() => read(config, 'ALL', { select: 'full' }), 'UID FETCH');
    expect(error.code).toBe('SOCKET_TIMEOUT');
    expect(error.late).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(error.late).toBeLessThanOrEqual(LATE_MS);
  });

  // imapflow itself sends LIST "" "" while connecting (for the separator): silence there is a
  // CONNECT_TIMEOUT; this is the LIST of every folder that a read starts with.
  const silentAt = (command: string): Script => ({
    [command]: (ctx) =>
      command === 'LIST' && ctx.args.startsWith('"" ""') ? ctx.reply() : undefined,
  });

  it.each(['LIST', 'EXAMINE', 'UID SEARCH'])(
    '(silent at %s) fails with SOCKET_TIMEOUT for read, test query and discover',
    async (command) => {
      const config = await serve(silentAt(command));
      for (const operation of [
        () => read(config, 'ALL'),
        () => discover(config, 'ALL', { select: '{"s": subject}' }),
      ]) {
        const error = await failure(operation, command);
        expect(error.code).toBe('SOCKET_TIMEOUT');
        expect(error.late).toBeLessThanOrEqual(LATE_MS);
      }
      const tested = await testQuery(config, 'ALL');
      expect(tested).toMatchObject({ ok: false, error: { code: 'SOCKET_TIMEOUT' } });
    },
  );

  // The import's archive is closed after the timeout: SQLite checkpoints it and syncs the disk.
  // On a disk kept busy (the suite's other files, or dd in a probe) that alone took 0.3-0.8 s,
  // and a few ms on tmpfs under the same load; in memory the measure is the connector's own.
  let inMemory = '';
  beforeAll(() => {
    inMemory = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/imap-connector-test-') : tempDir();
  });
  afterAll(() => rmSync(inMemory, { recursive: true, force: true }));

  it('(silent at LIST) ends an import with SOCKET_TIMEOUT', async () => {
    const config = await serve(silentAt('LIST'));
    const error = await failure(
      () => runImport(config, { destination: { archive: `${inMemory}/a.archive` } }),
      'LIST',
    );
    expect(error.code).toBe('SOCKET_TIMEOUT');
    expect(error.late).toBeLessThanOrEqual(LATE_MS);
  });
});

describe('cuts and refusals get their own codes', () => {
  it.each(['LIST', 'EXAMINE', 'UID SEARCH', 'UID FETCH'])(
    '(connection cut at %s) is CONNECTION_LOST',
    async (command) => {
      const config = await serve({ [command]: (ctx) => ctx.socket.destroy() });
      expect(await failure(() => read(config, 'ALL'), command)).toMatchObject({
        code: 'CONNECTION_LOST',
      });
    },
  );

  it('(BYE in the middle of a FETCH) is CONNECTION_LOST', async () => {
    const config = await serve({
      'UID FETCH': (ctx) => {
        ctx.write(fetchResponse(1, 1, ctx.args) + '* BYE shutting down\r\n');
        ctx.socket.end();
      },
    });
    expect(await failure(() => read(config, 'ALL'), 'UID FETCH')).toMatchObject({
      code: 'CONNECTION_LOST',
    });
  });

  it('(NO [THROTTLED] to UID SEARCH) is SERVER_THROTTLED, retryable', async () => {
    const config = await serve({
      'UID SEARCH': (ctx) => ctx.write(`${ctx.tag} NO [THROTTLED] Too many requests\r\n`),
    });
    expect(await failure(() => read(config, 'ALL'), 'UID SEARCH')).toMatchObject({
      code: 'SERVER_THROTTLED',
      retryable: true,
    });
  });

  it('(NO [THROTTLED] with a suggested backoff, as Microsoft 365 answers) is waited out and the read goes on', async () => {
    let throttled = 0;
    const config = await serve({
      'UID SEARCH': (ctx) => {
        if (throttled++ === 0)
          return ctx.write(
            `${ctx.tag} NO [THROTTLED] Request is throttled. Suggested Backoff Time: 400 milliseconds\r\n`,
          );
        return ctx.write(`* SEARCH 1 2 3\r\n${ctx.tag} OK done\r\n`);
      },
    });
    const started = Date.now();
    const page = await read({ ...config, reconnectAttempts: 2, reconnectDelay: 5000 }, 'ALL');
    expect(page.rows).toHaveLength(3);
    // The server's 400 ms, not the configured 5 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(throttled).toBe(2);
  });

  it('(NO [BADCHARSET] to a non-ASCII search) is QUERY_UNSUPPORTED, as documented', async () => {
    const config = await serve({
      'UID SEARCH': (ctx) =>
        ctx.write(`${ctx.tag} NO [BADCHARSET (US-ASCII)] charset not supported\r\n`),
    });
    expect(await failure(() => read(config, 'SUBJECT "Grüße"'), 'UID SEARCH')).toMatchObject({
      code: 'QUERY_UNSUPPORTED',
    });
  });
});

describe('answers that are not IMAP are PROTOCOL_ERROR, with memory bounded', () => {
  const rss = (): number => process.memoryUsage().rss;

  it.each([
    [
      'a FETCH line that never ends',
      (ctx: Parameters<NonNullable<Script['UID FETCH']>>[0]) => {
        ctx.write('* 1 FETCH (UID 1 X-JUNK ');
        flood(ctx.socket, Buffer.alloc(64 * 1024, 'a'));
      },
    ],
    [
      'a literal of 1 GB',
      (ctx: Parameters<NonNullable<Script['UID FETCH']>>[0]) => {
        ctx.write('* 1 FETCH (UID 1 BODY[] {1073741824}\r\n');
        flood(ctx.socket, Buffer.alloc(64 * 1024, 'a'));
      },
    ],
    [
      'a literal size of 20 digits',
      (ctx: Parameters<NonNullable<Script['UID FETCH']>>[0]) =>
        ctx.write('* 1 FETCH (UID 1 BODY[] {99999999999999999999}\r\n'),
    ],
    [
      'a message without its UID',
      (ctx: Parameters<NonNullable<Script['UID FETCH']>>[0]) =>
        ctx.write(`* 1 FETCH (FLAGS () RFC822.SIZE 10 BODY[] {2}\r\nhi)\r\n${ctx.tag} OK done\r\n`),
    ],
    [
      'a UID that is not a number',
      (ctx: Parameters<NonNullable<Script['UID FETCH']>>[0]) =>
        ctx.write(`* 1 FETCH (UID abc FLAGS ())\r\n${ctx.tag} OK done\r\n`),
    ],
  ])('(%s)', async (_name, fetch) => {
    const config = await serve({ 'UID FETCH': fetch });
    const before = rss();
    const error = await failure(() => read(config, 'ALL', { select: 'full' }), 'UID FETCH');
    expect(error.code).toBe('PROTOCOL_ERROR');
    expect(error.late).toBeLessThanOrEqual(LATE_MS);
    expect(rss() - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('(junk in a SEARCH answer)', async () => {
    const config = await serve({
      'UID SEARCH': (ctx) => ctx.write(`* SEARCH 1 2 x3\r\n${ctx.tag} OK done\r\n`),
    });
    expect(await failure(() => read(config, 'ALL'), 'UID SEARCH')).toMatchObject({
      code: 'PROTOCOL_ERROR',
    });
  });

  it('(a greeting that never ends) fails within the timeout and holds at most the line bound', async () => {
    const config = await serve({}, (socket) => flood(socket, Buffer.alloc(64 * 1024, 'a')));
    const before = rss();
    const started = Date.now();
    const result = await testConnectionResult(config);
    expect(['PROTOCOL_ERROR', 'CONNECT_TIMEOUT']).toContain(result.code);
    expect(Date.now() - started).toBeLessThanOrEqual(LATE_MS + 200);
    expect(rss() - before).toBeLessThan(100 * 1024 * 1024);
  });
});

describe('answers nobody asked for', () => {
  it('ignores a FETCH for a UID that was not requested and an update with a UID, giving each message once', async () => {
    const config = await serve({
      'UID FETCH': (ctx) => {
        ctx.write('* 9 FETCH (UID 800 FLAGS (\\Seen))\r\n');
        ctx.write(fetchResponse(9, 800, ctx.args.split(' ').slice(1).join(' ')));
        ctx.reply();
      },
    });
    const page = await read(config, 'ALL', { select: 'full' });
    expect(page.rows.map((row) => (row as { uid: number }).uid)).toEqual([1, 2, 3]);
  });

  it('never stores a message the server sent without its body, and the import says so', async () => {
    const config = await serve({
      'UID FETCH': (ctx) => {
        const items = ctx.args.split(' ').slice(1).join(' ');
        ctx.write(fetchResponse(1, 1, items));
        ctx.write(
          `* 2 FETCH (UID 2 FLAGS () INTERNALDATE "01-Jan-2024 10:00:00 +0000" RFC822.SIZE ${MESSAGE(2).length})\r\n`,
        );
        ctx.write(fetchResponse(3, 3, items));
        ctx.write(`${ctx.tag} OK done\r\n`);
      },
    });
    const archive = `${tempDir()}/a.archive`;
    const result = await runImport(config, { destination: { archive } });
    expect(result.totals).toMatchObject({ copied: 2, failed: 1 });
    expect(result.folders[0]!.failures).toEqual([
      expect.objectContaining({ uid: 2, code: 'MESSAGE_UNAVAILABLE' }),
    ]);
    // A read gives its row with what the server did send, and says what is missing (issue 24).
    const page = await read(config, 'ALL', { select: 'full' });
    const rows = page.rows as { uid: number; text: string | null; error?: { code: string } }[];
    expect(rows.map((row) => [row.uid, row.error?.code ?? null])).toEqual([
      [1, null],
      [2, 'MESSAGE_UNAVAILABLE'],
      [3, null],
    ]);
    expect(rows[1]!.text).toBeNull();
    expect(rows[0]!.text).not.toBeNull();
  });
});

async function testConnectionResult(
  config: Record<string, unknown>,
): Promise<{ code: string | undefined }> {
  const result = await testConnection(config);
  return { code: result.ok ? undefined : result.error?.code };
}

describe('imap-connector import when the run fails', () => {
  it('never labels what it did before the fault "OK"', async () => {
    const config = await serve({ 'UID FETCH': (ctx) => ctx.socket.destroy() });
    // Its 3 reconnects 50 ms apart, not the default's 1 + 2 + 4 s: that wait alone brought a
    // loaded CI machine to the test's timeout.
    const file = join(tempDir(), 'connection.json');
    const { password: _password, reconnectAttempts: _attempts, ...connection } = config;
    writeFileSync(file, JSON.stringify({ ...connection, reconnectDelay: 50 }));
    const io = captureIo({ IMAP_PASSWORD: 'p' });
    const code = await main(
      ['import', '--config', file, '--archive', `${tempDir()}/a.archive`],
      io,
    );
    expect(code).toBe(4);
    expect(io.out()).toMatch(/^STOPPED, SO FAR {2}0 seen, 0 copied/m);
    expect(io.out()).not.toMatch(/^OK/m);
    expect(io.err()).toMatch(/CONNECTION_LOST/);
  });
});

describe('a SEARCH answer with a million UIDs', () => {
  const million = (): string => Array.from({ length: 1_000_000 }, (_, i) => i + 1).join(' ');
  const examine = (exists: number) => (ctx: Parameters<NonNullable<Script['EXAMINE']>>[0]) =>
    ctx.write(
      `* ${exists} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n${ctx.tag} OK [READ-ONLY] done\r\n`,
    );

  it('is read as numbers, streamed, in bounded memory (a folder that has them)', async () => {
    const answer = `* SEARCH ${million()}\r\n`;
    const config = await serve({
      EXAMINE: examine(1_000_000),
      'UID SEARCH': (ctx) => ctx.write(`${answer}${ctx.tag} OK done\r\n`),
    });
    let peak = 0;
    const before = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    try {
      const page = await read({ ...config, timeout: 20_000 }, 'ALL', { pageSize: 3 });
      expect(page.rows.map((row) => (row as { uid: number }).uid)).toEqual([1, 2, 3]);
    } finally {
      clearInterval(sampler);
    }
    // imapflow's parser held about 600 MB for this answer; the UIDs themselves are 8 MB.
    expect(peak - before).toBeLessThan(150 * 1024 * 1024);
  }, 30_000);

  it('is PROTOCOL_ERROR from a folder of three messages, before the answer is read to its end', async () => {
    const answer = `* SEARCH ${million()}\r\n`;
    const config = await serve({
      'UID SEARCH': (ctx) => ctx.write(`${answer}${ctx.tag} OK done\r\n`),
    });
    expect(await failure(() => read(config, 'ALL'), 'UID SEARCH')).toMatchObject({
      code: 'PROTOCOL_ERROR',
    });
  });
});

describe('a target that stalls an APPEND', () => {
  it.each([
    ['stays silent', () => undefined],
    [
      'answers one byte every 100 ms',
      (ctx: Parameters<NonNullable<Script['APPEND']>>[0]) =>
        trickle(
          ctx.socket,
          `${ctx.tag} OK [APPENDUID 7 4] appended and then some more words\r\n`,
          100,
        ),
    ],
  ])('(%s) ends write with SOCKET_TIMEOUT within the timeout + 10%', async (_name, append) => {
    const config = await serve({ APPEND: append });
    const error = await failure(
      () =>
        write(
          { ...config, isTarget: true, dedupe: 'none' },
          { folder: 'INBOX', messages: [{ raw: MESSAGE(9), encoding: 'utf8' }] },
        ),
      'APPEND',
    );
    expect(error.code).toBe('SOCKET_TIMEOUT');
    expect(error.late).toBeLessThanOrEqual(LATE_MS);
  });
});

describe('a server that refuses one more session or throttles (issue 12)', () => {
  it.each([
    [
      'a BYE greeting',
      {},
      (socket: import('node:net').Socket) =>
        socket.end('* BYE Too many connections from your IP\r\n'),
    ],
    [
      "Gmail's NO [ALERT] to LOGIN",
      {
        LOGIN: (ctx: Parameters<NonNullable<Script['LOGIN']>>[0]) =>
          ctx.write(`${ctx.tag} NO [ALERT] Too many simultaneous connections. (Failure)\r\n`),
      },
      undefined,
    ],
    [
      'a BYE right after LOGIN',
      {
        LOGIN: (ctx: Parameters<NonNullable<Script['LOGIN']>>[0]) =>
          ctx.socket.end('* BYE [UNAVAILABLE] Too many connections\r\n'),
      },
      undefined,
    ],
  ])(
    '(%s) is SERVER_THROTTLED, too many connections, never AUTH_FAILED',
    async (_name, script, greeting) => {
      const config = await serve(script as Script, greeting as Greeting | undefined);
      const error = await failure(() => read(config, 'ALL'), 'LOGIN');
      expect(error).toMatchObject({
        code: 'SERVER_THROTTLED',
        retryable: true,
        details: { tooManyConnections: true, host: '127.0.0.1' },
      });
    },
  );

  it.each([
    ['NO [UNAVAILABLE] to LOGIN', 'LOGIN', 'NO [UNAVAILABLE] Temporary authentication failure'],
    ['NO [LIMIT] to EXAMINE', 'EXAMINE', 'NO [LIMIT] Too many open mailboxes'],
  ])('(%s) is SERVER_THROTTLED, retryable', async (_name, command, answer) => {
    const config = await serve({ [command]: (ctx) => ctx.write(`${ctx.tag} ${answer}\r\n`) });
    const error = await failure(() => read(config, 'ALL'), command);
    expect(error).toMatchObject({ code: 'SERVER_THROTTLED', retryable: true });
  });

  it('goes on at a lower pace after a throttled FETCH: 250 ms between FETCH commands', async () => {
    let fetches = 0;
    const config = await serve({
      'UID FETCH': (ctx) => {
        if (fetches++ === 0) return ctx.write(`${ctx.tag} NO [THROTTLED] Too many requests\r\n`);
        const [set = '', ...rest] = ctx.args.split(' ');
        ctx.write(
          `${fetchResponse(Number(set), Number(set), rest.join(' '))}${ctx.tag} OK done\r\n`,
        );
      },
    });
    const warnings: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (entry: Record<string, unknown>) => warnings.push(String(entry.msg)),
    };
    // One message per FETCH (a delay between messages), so the pace between them shows.
    const page = await read(
      { ...config, reconnectAttempts: 2, reconnectDelay: 10, delayBetweenMessages: '0.001' },
      'ALL',
      { logger },
    );
    expect(page.rows).toHaveLength(3);
    const arrivals = server!.arrivals('UID FETCH');
    expect(arrivals).toHaveLength(4);
    // The refused one, then the three again on a new session: each after the 250 ms pause.
    for (let i = 2; i < arrivals.length; i++)
      expect(arrivals[i]! - arrivals[i - 1]!).toBeGreaterThanOrEqual(245);
    expect(warnings.some((msg) => /250 ms between steps/.test(msg))).toBe(true);
  });
});

describe("Gmail's quirks, scripted (there is no Gmail to test against)", () => {
  const GMAIL =
    'IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=35651584';

  it('sends X-GM-RAW to a server with X-GM-EXT-1 as one quoted string, and reads what it answers', async () => {
    const config = await serve(
      {
        CAPABILITY: (ctx) =>
          ctx.write(`* CAPABILITY ${GMAIL}\r\n${ctx.tag} OK Thats all she wrote!\r\n`),
        LOGIN: (ctx) =>
          ctx.write(
            `${ctx.tag} OK [CAPABILITY ${GMAIL}] a@example.org authenticated (Success)\r\n`,
          ),
        // Gmail answers its own items: labels (with system labels quoted) and the thread id.
        'UID FETCH': (ctx) => {
          const [set = '', ...rest] = ctx.args.split(' ');
          for (const uid of set.split(',').flatMap((part) => {
            const [low, high = low] = part.split(':').map(Number) as [number, number?];
            return Array.from({ length: (high ?? low) - low + 1 }, (_, i) => low + i);
          }))
            ctx.write(
              fetchResponse(uid, uid, rest.join(' ')).replace(
                /\)\r\n$/,
                ` X-GM-THRID 17${uid} X-GM-LABELS ("\\\\Important" Work))\r\n`,
              ),
            );
          ctx.write(`${ctx.tag} OK Success\r\n`);
        },
        'UID SEARCH': (ctx) =>
          ctx.write(
            /X-GM-RAW "has:attachment older_than:1y"/.test(ctx.args)
              ? `* SEARCH 2 3\r\n${ctx.tag} OK SEARCH completed (Success)\r\n`
              : `${ctx.tag} BAD Could not parse command\r\n`,
          ),
      },
      (socket) => socket.write('* OK Gimap ready for requests from 127.0.0.1 scripted\r\n'),
    );
    const page = await read(config, 'X-GM-RAW "has:attachment older_than:1y"');
    const rows = page.rows as { subject: string; labels: string[]; threadId: string }[];
    expect(
      rows.map(({ subject, labels, threadId }) => [subject, [...labels].sort(), threadId]),
    ).toEqual([
      ['scripted 2', ['Work', '\\Important'], '172'],
      ['scripted 3', ['Work', '\\Important'], '173'],
    ]);
  });
});

describe('a FETCH the server refuses (issue 24)', () => {
  // The scripted folder holds UIDs 1-3; the server refuses any FETCH naming UID 2, as Dovecot
  // does with NO [SERVERBUG] for a message file it cannot read.
  const refusing = (refuseAll: boolean): Script => ({
    'UID FETCH': (ctx) => {
      const [set = '', ...rest] = ctx.args.split(' ');
      const uids = expand(set);
      if (refuseAll || uids.includes(2))
        return ctx.write(`${ctx.tag} NO [SERVERBUG] Internal error occurred\r\n`);
      for (const uid of uids) ctx.write(fetchResponse(uid, uid, rest.join(' ')));
      ctx.write(`${ctx.tag} OK done\r\n`);
    },
  });

  it('narrows a refusal down to its message: the others are read, that one is a row with MESSAGE_UNAVAILABLE', async () => {
    const config = await serve(refusing(false));
    const page = await read(config, 'ALL', { select: 'full' });
    const rows = page.rows as { uid: number; error?: { code: string; message: string } }[];
    expect(rows.map((row) => [row.uid, row.error?.code ?? null])).toEqual(
      [
        [1, null],
        [3, null],
        [2, 'MESSAGE_UNAVAILABLE'],
      ].sort((a, b) => Number(a[0]) - Number(b[0])),
    );
    expect(rows[1]!.error!.message).toMatch(/refused to send this message \(NO: \[SERVERBUG\]/);
  });

  it('lists that message as failed in an import and copies the others; the next run tries it again', async () => {
    const config = await serve(refusing(false));
    const archive = `${tempDir()}/refused.archive`;
    const result = await runImport(config, { destination: { archive } });
    expect(result.totals).toMatchObject({ copied: 2, failed: 1 });
    expect(result.folders[0]!.failures).toEqual([
      expect.objectContaining({ uid: 2, code: 'MESSAGE_UNAVAILABLE' }),
    ]);
    const again = await runImport(config, { destination: { archive } });
    expect(again.totals).toMatchObject({ seen: 1, copied: 0, failed: 1 });
    // The flag sync's FETCH of UIDs 1-3 is refused too: said in the result, the copy goes on.
    expect(again.folders[0]!.flagSyncError).toMatchObject({ code: 'COMMAND_REFUSED' });
  });

  it("fails the read when every message of the FETCH is refused: that is no message's fault", async () => {
    const config = await serve(refusing(true));
    const error = await failure(() => read(config, 'ALL', { select: 'full' }), 'UID FETCH');
    expect(error.code).toBe('COMMAND_REFUSED');
  });
});

describe('NUL bytes, garbage and half lines', () => {
  it('(a line of garbage among the answers) is PROTOCOL_ERROR, never a row', async () => {
    const config = await serve({
      'UID FETCH': (ctx) =>
        ctx.write(
          `%%%% \x01\x02 garbage ((((\r\n${fetchResponse(1, 1, ctx.args)}${ctx.tag} OK done\r\n`,
        ),
    });
    const error = await failure(() => read(config, 'ALL', { select: 'full' }), 'UID FETCH');
    expect(error.code).toBe('PROTOCOL_ERROR');
  });

  it("(NUL bytes in one message's FETCH line outside a literal) fail that message alone, as MESSAGE_UNPARSABLE in its row", async () => {
    const config = await serve({
      'UID FETCH': (ctx) => {
        const items = ctx.args.split(' ').slice(1).join(' ');
        ctx.write(fetchResponse(1, 1, items).replace('FLAGS ()', 'FLAGS (\\Seen\0\0)'));
        ctx.write(fetchResponse(2, 2, items) + fetchResponse(3, 3, items));
        ctx.write(`${ctx.tag} OK done\r\n`);
      },
    });
    const page = await read(config, 'ALL', { select: 'full' });
    const rows = page.rows as {
      uid: number;
      subject: string | null;
      error?: { code: string; message: string };
    }[];
    expect(rows.map((row) => [row.uid, row.error?.code ?? null])).toEqual([
      [1, 'MESSAGE_UNPARSABLE'],
      [2, null],
      [3, null],
    ]);
    expect(rows[0]!.error!.message).toMatch(/NUL/);
    expect(rows[1]!.subject).toBe('scripted 2');
  });

  it('(half a FETCH answer, then the connection closes) is CONNECTION_LOST', async () => {
    const config = await serve({
      'UID FETCH': (ctx) =>
        ctx.socket.end(`* 1 FETCH (UID 1 BODY[] {80}\r\nFrom: a@example.org\r\nSubj`),
    });
    const error = await failure(() => read(config, 'ALL', { select: 'full' }), 'UID FETCH');
    expect(error.code).toBe('CONNECTION_LOST');
  });

  it('(NUL bytes inside a message) are kept byte for byte', async () => {
    const withNul = (uid: number): string =>
      `Message-ID: <nul-${uid}@test>\r\nSubject: nul ${uid}\r\n\r\nbinary \0\0\x01 body\r\n`;
    const config = await serve({
      'UID FETCH': (ctx) => {
        const [set = '', ...items] = ctx.args.split(' ');
        const uids = set.includes(':') ? [1, 2, 3] : set.split(',').map(Number);
        for (const uid of uids) ctx.write(fetchResponse(uid, uid, items.join(' '), withNul(uid)));
        ctx.write(`${ctx.tag} OK done\r\n`);
      },
    });
    const rows: { uid: number; raw: string }[] = [];
    for await (const row of readStream(config, 'ALL', { raw: true }))
      rows.push(row as { uid: number; raw: string });
    expect(rows.map((row) => Buffer.from(row.raw, 'base64').toString('latin1'))).toEqual(
      [1, 2, 3].map(withNul),
    );
  });
});
