/**
 * Cancelling any call (issue 16, item 1): an AbortSignal ends every operation within 500 ms
 * with ABORTED, closes its session, carries the cursor or partial result so far, and leaves no
 * unhandled rejection behind (the previous main killed its host when the signal was already
 * aborted, and ignored it after connecting). A stalled FETCH, a slow APPEND and a server that
 * never greets come from the scripted responder (Dovecot answers too fast to abort in between);
 * paging runs against Dovecot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyActions,
  discover,
  read,
  readStream,
  runImport,
  testConnection,
  testQuery,
  write,
} from '../../src/index.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import {
  fetchResponse,
  startScriptedServer,
  type Script,
  type ScriptedServer,
} from '../helpers/scripted-imap-server.js';
import { seedMailbox } from '../helpers/seed.js';
import { startSilentServer } from '../helpers/silent-server.js';
import { withClient } from '../helpers/mailbox-snapshot.js';
import { tempDir } from '../helpers/temp-dir.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

const PROMPT_MS = 500;
let server: ScriptedServer | undefined;
failOnUnhandled(150);

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(script: Script = {}): Promise<Record<string, unknown>> {
  server = await startScriptedServer(script);
  return {
    server: '127.0.0.1',
    port: server.port,
    security: 'none',
    username: 'u',
    password: 'p',
    timeout: 10_000,
    isTarget: true,
  };
}

/** Aborts after `afterMs`, then measures how long the call takes to end; returns its error. */
async function abortAfter(
  afterMs: number,
  call: (signal: AbortSignal) => Promise<unknown>,
): Promise<{ code?: string; details?: Record<string, unknown>; lateMs: number }> {
  const controller = new AbortController();
  let abortedAt = 0;
  setTimeout(() => {
    abortedAt = Date.now();
    controller.abort();
  }, afterMs);
  try {
    await call(controller.signal);
  } catch (error) {
    return {
      ...(error as { code?: string; details?: Record<string, unknown> }),
      lateMs: Date.now() - abortedAt,
    };
  }
  throw new Error('expected the call to be aborted');
}

describe('a signal that is already aborted', () => {
  const aborted = AbortSignal.abort();
  it.each([
    ['read', (config: Record<string, unknown>) => read(config, 'ALL', { signal: aborted })],
    [
      'readStream',
      (config: Record<string, unknown>) => readStream(config, 'ALL', { signal: aborted }).next(),
    ],
    [
      'discover',
      (config: Record<string, unknown>) =>
        discover(config, 'ALL', { select: '{"s": subject}', signal: aborted }),
    ],
    [
      'write',
      (config: Record<string, unknown>) =>
        write(
          config,
          { messages: [{ raw: 'Subject: x\r\n\r\nx\r\n', encoding: 'utf8' }] },
          { signal: aborted },
        ),
    ],
    [
      'runImport',
      (config: Record<string, unknown>) =>
        runImport(
          config,
          { destination: { archive: `${tempDir()}/a.archive` } },
          { signal: aborted },
        ),
    ],
    [
      'applyActions',
      (config: Record<string, unknown>) =>
        applyActions(
          config,
          { ids: ['imap://u@127.0.0.1/INBOX;UIDVALIDITY=7/;UID=1'], delete: true },
          { signal: aborted },
        ),
    ],
  ])('ends %s with ABORTED before any connection', async (_name, call) => {
    const config = await serve();
    await expect(call(config)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(server!.received).toEqual([]);
  });

  it.each([
    [
      'testConnection',
      (config: Record<string, unknown>) => testConnection(config, { signal: aborted }),
    ],
    [
      'testQuery',
      (config: Record<string, unknown>) => testQuery(config, 'ALL', { signal: aborted }),
    ],
  ])('makes %s answer ok false with ABORTED', async (_name, call) => {
    const config = await serve();
    expect(await call(config)).toMatchObject({ ok: false, error: { code: 'ABORTED' } });
  });
});

describe('an abort in the middle', () => {
  it('ends a connect to a server that never greets', async () => {
    const silent = await startSilentServer();
    try {
      const config = {
        server: '127.0.0.1',
        port: silent.port,
        security: 'none',
        username: 'u',
        password: 'p',
        timeout: 10_000,
      };
      const error = await abortAfter(150, (signal) => read(config, 'ALL', { signal }));
      expect(error.code).toBe('ABORTED');
      expect(error.lateMs).toBeLessThan(PROMPT_MS);
    } finally {
      await silent.close();
    }
  });

  it('ends read while the server is slow to answer a FETCH, with the cursor to resume from', async () => {
    const config = await serve({
      'UID FETCH': (ctx) => ctx.write(fetchResponse(1, 1, ctx.args.split(' ').slice(1).join(' '))),
    });
    const error = await abortAfter(300, (signal) => read(config, 'ALL', { signal }));
    expect(error.code).toBe('ABORTED');
    expect(error.lateMs).toBeLessThan(PROMPT_MS);
    expect(typeof error.details?.cursor).toBe('string');
  });

  it('ends test query and discover mid-command', async () => {
    const config = await serve({ 'UID SEARCH': () => undefined });
    const tq = await (async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      return testQuery(config, 'ALL', { signal: controller.signal });
    })();
    expect(tq).toMatchObject({ ok: false, error: { code: 'ABORTED' } });
    const error = await abortAfter(200, (signal) =>
      discover(config, 'ALL', { select: '{"s": subject}', signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(error.lateMs).toBeLessThan(PROMPT_MS);
  });

  it('ends read during a delay between messages', async () => {
    const config = { ...(await serve()), delayBetweenMessages: 2 };
    const error = await abortAfter(300, (signal) => read(config, 'ALL', { signal }));
    expect(error.code).toBe('ABORTED');
    expect(error.lateMs).toBeLessThan(PROMPT_MS);
  });

  it('lets an APPEND in flight finish, stores nothing after it, and reports what was stored', async () => {
    const config = await serve({ APPEND: (ctx) => setTimeout(() => ctx.reply(), 400) });
    const messages = [1, 2, 3].map((i) => ({
      raw: `Message-ID: <c${i}@x>\r\nSubject: ${i}\r\n\r\nx\r\n`,
      encoding: 'utf8' as const,
    }));
    const error = await abortAfter(150, (signal) =>
      write({ ...config, dedupe: 'none' }, { messages }, { signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(error.details?.results).toEqual([
      { index: 0, status: 'stored', uid: 4 },
      ...[1, 2].map((index) => ({
        index,
        status: 'failed',
        error: expect.objectContaining({
          code: 'ABORTED',
          message: 'not sent: the write was stopped',
        }),
      })),
    ]);
    expect(server!.received.filter((command) => command.startsWith('APPEND'))).toHaveLength(1);
  });

  it('(Dovecot, 600 messages of 200 KB) stops within 500 ms of the abort and reports exactly what it stored', async () => {
    const user = freshUser('cw');
    const body = 'x'.repeat(76) + '\r\n';
    const messages = Array.from({ length: 600 }, (_, i) => ({
      raw: `Message-ID: <big${i}@x>\r\nSubject: big ${i}\r\n\r\n${body.repeat(2600)}`,
      encoding: 'utf8' as const,
    }));
    const config = makeConfig(user, { isTarget: true });
    // Aborted as the first step goes on the wire (the log says so), as the probe did.
    const controller = new AbortController();
    let abortedAt = 0;
    const onLog = (entry: Record<string, unknown>): void => {
      if (abortedAt === 0 && /APPEND .*messages, LITERAL\+/.test(String(entry.msg))) {
        abortedAt = Date.now();
        controller.abort();
      }
    };
    const logger = { debug: onLog, info: onLog, warn: onLog, error: onLog };
    const error = await write(
      config,
      { folder: 'INBOX', messages },
      { signal: controller.signal, logger },
    ).then(
      () => ({ lateMs: 0 }) as { code?: string; details?: Record<string, unknown>; lateMs: number },
      (caught: { code?: string; details?: Record<string, unknown> }) => ({
        ...caught,
        lateMs: Date.now() - abortedAt,
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect(error.lateMs).toBeLessThan(PROMPT_MS);
    const results = error.details!.results as { index: number; status: string }[];
    const stored = results.filter((r) => r.status === 'stored').length;
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(600);
    expect(results).toHaveLength(600);
    const held = await withClient(
      user,
      async (client) =>
        ((await client.status('INBOX', { messages: true })) || { messages: -1 }).messages,
    );
    expect(held).toBe(stored);
  }, 60_000);
});

describe('an abort while acknowledging', () => {
  it('ends applyActions while the server sits on a UID STORE, with the folders done so far', async () => {
    const config = await serve({ 'UID STORE': () => undefined });
    const error = await abortAfter(200, (signal) =>
      applyActions(
        config,
        { ids: ['imap://u@127.0.0.1/INBOX;UIDVALIDITY=7/;UID=2'], markSeen: true },
        { signal },
      ),
    );
    expect(error.code).toBe('ABORTED');
    expect(error.lateMs).toBeLessThan(PROMPT_MS);
    expect(error.details?.results).toEqual([]);
    expect(server!.received.some((command) => command.startsWith('UID STORE 2'))).toBe(true);
  });
});

describe('an abort between pages (Dovecot)', () => {
  it.each([
    ['at once', 0],
    // The page read ahead has surely arrived by then: it must not be given after the abort.
    ['once the next page has arrived', 300],
  ])(
    '(%s) ends readStream with the cursor after the pages consumed; resuming from it repeats and loses nothing',
    async (_when, waitMs) => {
      const user = freshUser('ca');
      await seedMailbox(dovecot(), user, {
        INBOX: Array.from({ length: 30 }, (_, i) => ({
          source: `Subject: page ${i}\r\n\r\nx\r\n`,
        })),
      });
      const controller = new AbortController();
      const first: string[] = [];
      let error: { code?: string; details?: { cursor?: string } } | undefined;
      try {
        for await (const row of readStream(makeConfig(user), 'ALL', {
          pageSize: 10,
          signal: controller.signal,
        })) {
          first.push((row as { subject: string }).subject);
          if (first.length === 10) {
            if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
            controller.abort();
          }
        }
      } catch (caught) {
        error = caught as typeof error;
      }
      expect(error?.code).toBe('ABORTED');
      expect(first).toHaveLength(10);
      const rest: string[] = [];
      for await (const row of readStream(makeConfig(user), 'ALL', {
        pageSize: 10,
        cursor: error!.details!.cursor!,
      }))
        rest.push((row as { subject: string }).subject);
      expect([...first, ...rest]).toEqual(Array.from({ length: 30 }, (_, i) => `page ${i}`));
    },
  );
});
