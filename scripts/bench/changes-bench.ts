/**
 * npm run bench:changes [-- --messages 10000 --out FILE]
 *
 * What the change feed costs (issue 29): the bench mailbox read to its end with and without
 * `changes: true`, then an incremental run from each final cursor with nothing new (what a
 * scheduled run mostly is), then with 100 flag changes and 100 expunges by another client.
 * Envelope rows; medians of 3; the cursor's size with changes. A private Dovecot on loopback.
 */
import { writeFileSync } from 'node:fs';
import { scriptArgs } from '../script-args.js';
import { read } from '../../src/read/read.js';
import { CAPABILITIES_WITHOUT_CONDSTORE, startDovecot } from '../../test/helpers/dovecot.js';
import { imapClient } from '../../test/helpers/imap-client.js';
import { BENCH_FOLDERS, seedDovecotUser } from './seed-maildir.js';

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[1]!;

async function readToEnd(
  config: Record<string, unknown>,
  cursor: string | undefined,
  changes: boolean,
): Promise<{ ms: number; rows: number; cursor: string }> {
  const started = performance.now();
  let rows = 0;
  for (;;) {
    const page = await read(config, 'ALL', {
      pageSize: 1000,
      changes,
      ...(cursor ? { cursor } : {}),
    });
    rows += page.rows.length;
    cursor = page.cursor;
    if (page.done) return { ms: Math.round(performance.now() - started), rows, cursor };
  }
}

/** The measurements on one server: full reads, nothing-new runs, 200 changes. */
async function measure(
  server: { host: string; imapPort: number; dir: string },
  user: { name: string; password: string },
  messages: number,
): Promise<Record<string, unknown>> {
  seedDovecotUser(server, user.name, messages);
  const config = {
    server: server.host,
    port: server.imapPort,
    security: 'none',
    username: user.name,
    password: user.password,
  };
  const result: Record<string, unknown> = {};
  let changesCursor = '';
  for (const changes of [false, true]) {
    const full = await readToEnd(config, undefined, changes);
    if (changes) changesCursor = full.cursor;
    const idle = [];
    for (let i = 0; i < 3; i++) idle.push((await readToEnd(config, full.cursor, changes)).ms);
    result[changes ? 'withChanges' : 'plain'] = {
      fullReadMs: full.ms,
      rows: full.rows,
      nothingNewMs: median(idle),
      cursorBytes: full.cursor.length,
    };
  }
  // 100 flag changes and 100 expunges in INBOX, then one changes run.
  const client = imapClient(user, server);
  await client.connect();
  const lock = await client.getMailboxLock(BENCH_FOLDERS[0]!.name);
  await client.messageFlagsAdd('1:100', ['\\Flagged']);
  await client.messageDelete('101:200');
  lock.release();
  await client.logout();
  const after = await readToEnd(config, changesCursor, true);
  result.after200Changes = { ms: after.ms, rows: after.rows };
  return result;
}

async function main(): Promise<void> {
  const args = scriptArgs('npm run bench:changes [-- --messages 10000 --out FILE]', {
    messages: { type: 'string' },
    out: { type: 'string' },
  });
  const values = args.values;
  const messages = args.count('messages', 10_000);
  const user = { name: 'changes', password: 'changes-bench-pw' };
  const result: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
  for (const [name, capabilities] of [
    ['condstore', undefined],
    // As Courier IMAP: no CONDSTORE, so flag changes are found by comparing flags.
    ['withoutCondstore', CAPABILITIES_WITHOUT_CONDSTORE],
  ] as const) {
    const server = await startDovecot({
      users: [user],
      parentDir: '/dev/shm',
      ...(capabilities ? { capabilities: [...capabilities] } : {}),
    });
    try {
      result[name] = await measure(server, user, messages);
    } finally {
      await server.stop();
    }
  }
  console.log(JSON.stringify(result, null, 2));
  if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 2) + '\n');
}

await main();
