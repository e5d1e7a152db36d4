/**
 * MULTIAPPEND with LITERAL+ and more than one command in flight (src/imap/append-pipeline.ts).
 * The ordering cases use the scripted server: Dovecot answers each APPEND as soon as it has
 * stored it, so it cannot be made to hold an answer back, answer out of order, or refuse one
 * MULTIAPPEND of two. The last case is a real import into Dovecot through the pipeline.
 */
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runImport, write } from '../../src/index.js';
import { message } from '../helpers/corpus.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import {
  startScriptedServer,
  type CommandContext,
  type Script,
  type ScriptedServer,
} from '../helpers/scripted-imap-server.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

const CAPABILITY = 'IMAP4rev1 LITERAL+ UIDPLUS MULTIAPPEND';
let server: ScriptedServer | undefined;
failOnUnhandled(100);

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A scripted target announcing MULTIAPPEND and LITERAL+, with APPEND as the test says. */
async function target(append: Script['APPEND']): Promise<Record<string, unknown>> {
  server = await startScriptedServer({
    CAPABILITY: (ctx) => ctx.write(`* CAPABILITY ${CAPABILITY}\r\n${ctx.tag} OK done\r\n`),
    LOGIN: (ctx) => ctx.write(`${ctx.tag} OK [CAPABILITY ${CAPABILITY}] logged in\r\n`),
    APPEND: append,
  });
  return {
    server: '127.0.0.1',
    port: server.port,
    security: 'none',
    username: 'u',
    password: 'p',
    timeout: 5000,
    isTarget: true,
  };
}

/** 100 messages: write() sends them in steps of 50, two commands. */
const MESSAGES = Array.from({ length: 100 }, (_, i) => ({
  raw: message(`Pipelined ${i}`, { body: `${'x'.repeat(5000)}\r\n` }).toString('base64'),
}));

/** How many messages one APPEND command carried (its literals). */
const literalsOf = (ctx: CommandContext): number =>
  (ctx.args.match(/\{\d+\+?\}\r\n/g) ?? []).length;

/** The APPEND commands that arrived: how many messages each carried. */
function appendSizes(): number[] {
  return server!.received
    .filter((line) => line.startsWith('APPEND '))
    .map((line) => (line.match(/\{\d+\+?\}\r\n/g) ?? []).length);
}

describe('pipelined MULTIAPPEND', () => {
  it('sends the second command before the first is answered, with no "+" awaited, and reads both answers', async () => {
    const held: CommandContext[] = [];
    const config = await target((ctx) => {
      held.push(ctx);
      // The first answer is held until the second command is in: a client that waited for it
      // (or for a "+" before a literal) would never send the second, and the write would hang.
      if (held.length < 2) return;
      held[0]!.write(`${held[0]!.tag} OK [APPENDUID 7 1:50] done\r\n`);
      held[1]!.write(`${held[1]!.tag} OK [APPENDUID 7 51:100] done\r\n`);
    });
    const result = await write(config, { messages: MESSAGES });
    expect(result.stored).toBe(100);
    expect(result.results.map((r) => (r as { uid?: number }).uid)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    expect(held.map(literalsOf)).toEqual([50, 50]);
    expect(server!.received.join('\n')).toContain('{');
    expect(server!.received.join('\n')).not.toMatch(/\{\d+\}\r\n/); // only {n+} literals
  });

  it('matches answers that come out of order to their commands by tag', async () => {
    const held: CommandContext[] = [];
    const config = await target((ctx) => {
      held.push(ctx);
      if (held.length < 2) return;
      held[1]!.write(`${held[1]!.tag} OK [APPENDUID 7 151:200] second\r\n`);
      held[0]!.write(`${held[0]!.tag} OK [APPENDUID 7 101:150] first\r\n`);
    });
    const result = await write(config, { messages: MESSAGES });
    const uids = result.results.map((r) => (r as { uid?: number }).uid);
    expect(uids.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => i + 101));
    expect(uids.slice(50)).toEqual(Array.from({ length: 50 }, (_, i) => i + 151));
  });

  it('sends a refused MULTIAPPEND again one message at a time, and the accepted one only once', async () => {
    let commands = 0;
    const config = await target((ctx) => {
      commands++;
      if (commands === 1) ctx.write(`${ctx.tag} NO [LIMIT] too many at once\r\n`);
      else ctx.write(`${ctx.tag} OK [APPENDUID 7 ${commands}] done\r\n`);
    });
    const result = await write(config, { messages: MESSAGES });
    expect(result.stored).toBe(100);
    // The refused command of 50, the accepted one of 50, then the 50 again one by one.
    expect(appendSizes()).toEqual([50, 50, ...Array<number>(50).fill(1)]);
  });

  it('fails every command in flight with CONNECTION_LOST when the server hangs up, without hanging', async () => {
    let commands = 0;
    const config = await target((ctx) => {
      commands++;
      if (commands === 1) ctx.write(`${ctx.tag} OK [APPENDUID 7 1:50] done\r\n`);
      else ctx.socket.destroy();
    });
    const error = await write(config, { messages: MESSAGES }).then(
      () => undefined,
      (caught: unknown) => caught as { code: string; details?: { results?: unknown[] } },
    );
    expect(error?.code).toBe('CONNECTION_LOST');
    // What was stored before the cut is reported as stored.
    expect(error?.details?.results).toHaveLength(50);
  });
});

// The two imports below copy batches read whole, in steps (store-batch.ts): the path of imports
// that cannot pipe. The pipe's own commands are tested in piped-import.int.test.ts.
function readingWhole(): void {
  beforeAll(() => {
    process.env.IMAP_CONNECTOR_PIPE = 'off';
  });
  afterAll(() => {
    delete process.env.IMAP_CONNECTOR_PIPE;
  });
}

describe('an import keeps two steps in flight', () => {
  readingWhole();
  it('sends the next step to the target before the first is answered (scripted target, Dovecot source)', async () => {
    const source = freshUser('po');
    await seedMailbox(dovecot(), source, {
      INBOX: Array.from({ length: 100 }, (_, i) => ({ source: message(`Overlap ${i}`) })),
    });
    const held: CommandContext[] = [];
    const connection = await target((ctx) => {
      held.push(ctx);
      // The first step's answer waits for the second step: without the overlap the import
      // would wait for it until the timeout and fail.
      if (held.length < 2) return;
      for (const [i, step] of held.splice(0).entries())
        step.write(`${step.tag} OK [APPENDUID 7 ${i * 50 + 10}:${i * 50 + 59}] done\r\n`);
    });
    const result = await runImport(makeConfig(source), {
      destination: { connection, state: join(tempDir(), 'state.db') },
    });
    expect(result.totals).toMatchObject({ seen: 100, copied: 100, failed: 0 });
    expect(appendSizes()).toEqual([50, 50]);
  });
});

describe('an import into Dovecot through the pipeline', () => {
  readingWhole();
  it('sends every step as a LITERAL+ MULTIAPPEND and copies exactly', async () => {
    const source = freshUser('ps');
    const destination = freshUser('pt');
    const messages = Array.from({ length: 260 }, (_, i) => ({
      source: message(`Import ${i}`, { body: `Message ${i}\r\n${'line\r\n'.repeat(i % 50)}` }),
      ...(i % 4 === 0 ? { flags: ['\\Seen', '\\Flagged'] } : {}),
      internalDate: new Date(Date.UTC(2023, i % 12, 1 + (i % 28), 6, i % 60)),
    }));
    await seedMailbox(dovecot(), source, { INBOX: messages });
    const lines: string[] = [];
    const log = (entry: Record<string, unknown>): void => {
      lines.push(String(entry.msg ?? ''));
    };
    // Each command's lines and literals leave corked, in one writev (not two writes a message).
    const cork = vi.spyOn(Socket.prototype, 'cork');
    let corked = 0;
    const result = await runImport(
      makeConfig(source),
      {
        destination: {
          connection: makeConfig(destination, { isTarget: true, isSource: false }),
          state: join(tempDir(), 'state.db'),
        },
      },
      { logger: { debug: log, info: log, warn: log, error: log } },
    ).finally(() => {
      corked = cork.mock.calls.length;
      cork.mockRestore();
    });
    expect(corked).toBeGreaterThanOrEqual(6);
    expect(result.totals).toMatchObject({ seen: 260, copied: 260, failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
    // 260 messages in steps of 50: six MULTIAPPENDs, none through imapflow's synchronizing path.
    expect(
      lines.filter((line) => /APPEND "[^"]*" \(\d+ messages, LITERAL\+\)/.test(line)),
    ).toHaveLength(6);
    expect(lines.filter((line) => /^\d+ APPEND /.test(line))).toEqual([]);
  });
});
