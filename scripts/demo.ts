/**
 * The main job, for a newcomer: `npm run demo`.
 * With no server given it starts the private Dovecot from test/helpers with sample mail and
 * runs the connector against it; with `-- --config FILE` (or any test-connection flags) it
 * runs against that server instead (test connection, then an archive of the mailbox in
 * ./imap-connector.archive). The local flow: test connection, test query, read with incremental
 * state, then an import into the embedded archive, run twice to show nothing is copied twice.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { startDovecot, type DovecotServer } from '../test/helpers/dovecot.js';
import { eml } from '../test/helpers/fixtures.js';
import { seedMailbox } from '../test/helpers/seed.js';

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
const DEMO_USER = { name: 'demo', password: 'demo-password' };
// The batch step's three mailboxes (the CSV gives the third a wrong password).
const BATCH_USERS = ['anna', 'ben', 'carla'].map((name) => ({
  name,
  password: `${name}-Pass-2026`,
}));

/** Prints like the real stdout and keeps a copy, so the demo can check what a run said. */
function teeIo(env: Record<string, string | undefined>): typeof io & { text(): string } {
  let text = '';
  return {
    ...io,
    env,
    stdout: {
      write: (chunk: string) => ((text += chunk), process.stdout.write(chunk)),
    } as unknown as typeof process.stdout,
    text: () => text,
  };
}

function step(title: string): void {
  process.stdout.write(`\n=== ${title}\n`);
}

/**
 * Stops the private Dovecot however the demo ends: normally, Ctrl-C, a closed terminal, or a
 * reader that stops early (npm run demo | head: the next write fails with EPIPE). Only kill -9
 * cannot be caught; the server then keeps running until killed by the PID the demo printed.
 */
let cleanup: (() => Promise<void>) | undefined;
function stopOnExit(stop: () => Promise<void>): void {
  let stopping: Promise<void> | undefined;
  cleanup = () => (stopping ??= stop());
  const leave = (code: number): void => {
    void cleanup!().finally(() => process.exit(code));
  };
  process.stdout.on('error', (error: NodeJS.ErrnoException) =>
    leave(error.code === 'EPIPE' ? 0 : 1),
  );
  process.once('SIGINT', () => leave(130));
  process.once('SIGTERM', () => leave(143));
  process.once('SIGHUP', () => leave(129));
}

/**
 * Three mailboxes from a CSV into one archive: the check shows the wrong password, the run
 * imports the other two in parallel, status and report follow, a second run copies nothing.
 */
async function batchStep(server: DovecotServer, work: string): Promise<boolean> {
  for (const user of BATCH_USERS)
    await seedMailbox(server, user, {
      INBOX: [{ source: eml('plain.eml') }, { source: eml('attachment.eml') }],
      Sent: [{ source: eml('sent-reply.eml') }],
    });
  const csv = join(work, 'mailboxes.csv');
  writeFileSync(
    csv,
    [
      'IMAP username;IMAP password;Owner',
      `anna;${BATCH_USERS[0]!.password};Anna Berg`,
      `ben;${BATCH_USERS[1]!.password};Ben Ortiz`,
      'carla;not-her-password;Carla Diaz',
    ].join('\n') + '\n',
  );
  const profile = join(work, 'batch.json');
  writeFileSync(
    profile,
    JSON.stringify({
      name: 'demo-batch',
      source: {
        server: server.host,
        port: server.imapsPort,
        security: 'tls',
        caFile: server.caFile,
      },
      destination: { archive: 'batch.archive' },
      mailboxes: { csv: 'mailboxes.csv' },
      preflight: { onFailure: 'continue' },
      throttle: { parallelMailboxes: 2, attempts: 1 },
    }),
  );
  step(`batch check ${profile}: log in to every mailbox of ${csv} first`);
  const checked = await main(['batch', 'check', profile], io);
  step('batch run: the two good mailboxes in parallel into one archive; the report at the end');
  const first = teeIo(process.env);
  const ran = await main(['batch', 'run', profile], first);
  step('batch status: one line per mailbox');
  const status = await main(['batch', 'status', profile], io);
  step('batch run again: nothing new, so nothing is copied');
  const second = teeIo(process.env);
  const again = await main(['batch', 'run', profile], second);
  step('batch list: both runs');
  const listed = await main(['batch', 'list', profile], io);
  return (
    // Exit codes are the class of the worst failure: carla's refused login is authentication (3).
    checked === 3 &&
    ran === 3 &&
    /Mailboxes: 3 \(2 done, 1 failed/.test(first.text()) &&
    status === 0 &&
    again === 3 &&
    /Messages: 0 copied/.test(second.text()) &&
    listed === 0
  );
}

async function runAgainstLocalDovecot(): Promise<number> {
  step('Starting a private Dovecot on 127.0.0.1 with sample mail');
  const server = await startDovecot({ users: [DEMO_USER, ...BATCH_USERS] });
  stopOnExit(() => server.stop());
  try {
    process.stdout.write(
      `imap ${server.host}:${server.imapPort} (STARTTLS), imaps ${server.host}:${server.imapsPort}, pid ${server.pid}\n`,
    );
    await seedMailbox(server, DEMO_USER, {
      INBOX: [
        { source: eml('plain.eml') },
        { source: eml('multipart-alternative.eml'), flags: ['\\Seen'] },
        { source: eml('attachment.eml') },
        { source: eml('no-date-no-id.eml') },
      ],
      Sent: [{ source: eml('sent-reply.eml'), flags: ['\\Seen'] }],
      Überweisungen: [{ source: eml('multipart-alternative.eml') }],
    });
    const tls = [
      '--server',
      `imaps://${server.host}:${server.imapsPort}`,
      '--username',
      DEMO_USER.name,
    ];
    const env = { ...process.env, IMAP_PASSWORD: DEMO_USER.password };

    step('test-connection over TLS, trusting the demo certificate with --ca-file');
    const ok = await main(['test-connection', ...tls, '--ca-file', server.caFile], { ...io, env });

    step(
      'The same without --ca-file: certificates are verified, so this must fail with TLS_FAILED',
    );
    const refused = await main(['test-connection', ...tls], { ...io, env });

    step(
      `Master user "${server.master.name}" opens the demo mailbox (SASL PLAIN authorization identity)`,
    );
    const master = await main(
      [
        'test-connection',
        ...tls,
        '--ca-file',
        server.caFile,
        '--auth-method',
        'masterUser',
        '--username',
        server.master.name,
        '--authorization-identity',
        DEMO_USER.name,
      ],
      { ...io, env: { ...process.env, IMAP_PASSWORD: server.master.password } },
    );

    step(
      'test-query: the IMAP SEARCH a query becomes in each folder, match counts and sample rows',
    );
    const connection = [...tls, '--ca-file', server.caFile];
    const query = ['--query', 'OR FROM "alice@example.com" SUBJECT "Überweisung" EXCLUDE Trash'];
    const tested = await main(['test-query', ...connection, ...query, '--sample', '1'], {
      ...io,
      env,
    });

    const work = mkdtempSync(join(tmpdir(), 'imap-connector-demo-'));
    const out = join(work, 'rows.ndjson');
    const state = join(work, 'state.json');
    step(`read --all: every message as an NDJSON row into ${out}, state in ${state}`);
    const firstRun = await main(
      ['read', ...connection, '--query', 'ALL', '--all', '--out', out, '--state', state],
      { ...io, env },
    );
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            folder: string;
            uid: number;
            subject: string | null;
            from: { address: string | null }[];
          },
      );
    for (const row of rows)
      process.stdout.write(
        `  ${row.folder.padEnd(14)} uid ${row.uid}  ${row.subject ?? '(no subject)'}  <${row.from[0]?.address ?? '?'}>\n`,
      );

    step('New mail arrives; the next scheduled run (same --state) reads only that');
    await seedMailbox(server, DEMO_USER, { INBOX: [{ source: eml('late-arrival.eml') }] });
    const secondRun = await main(
      ['read', ...connection, '--query', 'ALL', '--all', '--out', out, '--state', state],
      { ...io, env },
    );
    // With the same --state and --out the file accumulates rows across runs, each message once.
    const allRows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; subject: string });
    const newRows = allRows.slice(rows.length);
    const unique = new Set(allRows.map((row) => row.id)).size === allRows.length;
    process.stdout.write(
      `  the second run added ${newRows.length} row(s): ${newRows.map((row) => row.subject).join(', ')}; ${rows.length + newRows.length} rows in ${out}, ${unique ? 'each message once' : 'DUPLICATES'}\n`,
    );

    const archive = join(work, 'mail.archive');
    step(`import: the whole mailbox into the embedded archive ${archive}`);
    const imported = await main(['import', ...connection, '--archive', archive], { ...io, env });
    step(
      'The same message is delivered again (a new UID, the same content); import again: nothing is copied twice',
    );
    await seedMailbox(server, DEMO_USER, { INBOX: [{ source: eml('plain.eml') }] });
    const again = teeIo(env);
    const reimported = await main(['import', ...connection, '--archive', archive], again);
    const [, copiedAgain, duplicatesAgain] =
      /^OK {2}\d+ seen, (\d+) copied, (\d+) duplicates/m.exec(again.text()) ?? [];
    step('archive stats, and an export back to .eml files (byte for byte as received)');
    const stats = await main(['archive', 'stats', '--archive', archive], { ...io, env });
    const exported = await main(
      ['archive', 'export', '--archive', archive, '--format', 'eml', '--out', join(work, 'eml')],
      { ...io, env },
    );
    const batch = await batchStep(server, work);
    rmSync(work, { recursive: true, force: true });

    const expected =
      ok === 0 &&
      refused === 4 &&
      master === 0 &&
      tested === 0 &&
      firstRun === 0 &&
      rows.length === 6 &&
      secondRun === 0 &&
      newRows.length === 1 &&
      unique &&
      imported === 0 &&
      reimported === 0 &&
      copiedAgain === '0' &&
      duplicatesAgain === '1' &&
      stats === 0 &&
      exported === 0 &&
      batch;
    step(
      expected
        ? 'Demo finished: every step gave the expected result'
        : 'Demo FAILED: a step did not give the expected result',
    );
    return expected ? 0 : 1;
  } finally {
    await cleanup?.();
  }
}

/**
 * The main job against the user's own server: test the connection, then archive the mailbox
 * (read-only on the server: EXAMINE and BODY.PEEK, no post-read action) into
 * ./imap-connector.archive, which a second run continues incrementally.
 */
async function runAgainstServer(connection: string[]): Promise<number> {
  step('test-connection');
  const tested = await main(['test-connection', ...connection], io);
  if (tested !== 0) return tested;
  // npm runs scripts in the package root; INIT_CWD is where the user typed the command.
  const archive = join(process.env.INIT_CWD ?? process.cwd(), 'imap-connector.archive');
  step(`import: the mailbox into the embedded archive ${archive} (the server is only read)`);
  const imported = await main(['import', ...connection, '--archive', archive], io);
  step('archive stats');
  const stats = await main(['archive', 'stats', '--archive', archive], io);
  return imported !== 0 ? imported : stats;
}

const args = process.argv.slice(2);
const run = args.length > 0 ? runAgainstServer(args) : runAgainstLocalDovecot();
run.then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
