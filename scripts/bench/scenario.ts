/**
 * One measured scenario, run in its own process so its peak RSS is its own:
 *   node dist/scripts/bench/scenario.js <name> <json {host, port, user, password, folders}> [--memory]
 * Prints one JSON line: {messages, firstRowMs, maxRssMb}, and with --memory where the memory
 * was at the peak (memory-at-peak.ts).
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ImapFlow } from 'imapflow';
import { rawFetchAll } from './raw-client.js';
import { rawStreamCopy } from './raw-stream-copy.js';
import { watchMemory } from './memory-at-peak.js';
import { threadSplit } from './cpu-use.js';
import { countCollections } from './gc-count.js';
import { commandTracer } from './command-trace.js';
import { keepHeapLean } from '../../src/cli/lean-heap.js';

// Libraries load only in the scenarios that use them, so the raw client's time and memory
// are not inflated by code it never runs.

interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
  folders: string[];
  /** Import scenarios: where the mail goes, fresh for every run (made by run-bench). */
  destination?: { user: string; password: string };
  archive?: string;
  state?: string;
  /** mbsync: a directory for its config and sync state. */
  workDir?: string;
}

type Scenario = (target: Target, firstRow: () => void) => Promise<number>;

async function withImapFlow(
  target: Target,
  work: (client: ImapFlow, folder: string) => Promise<number>,
): Promise<number> {
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host: target.host,
    port: target.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: target.user, pass: target.password },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  let count = 0;
  for (const folder of target.folders) {
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      count += await work(client, folder);
    } finally {
      lock.release();
    }
  }
  await client.logout();
  return count;
}

async function connector(target: Target, firstRow: () => void, select: string): Promise<number> {
  const config = {
    server: target.host,
    port: target.port,
    security: 'none',
    username: target.user,
    password: target.password,
    timeout: 120_000,
  };
  const { readStream } = await import('../../src/index.js');
  let count = 0;
  for await (const row of readStream(config, 'ALL', { select, ...tracing() })) {
    if (count === 0) firstRow();
    if (row) count++;
  }
  traced();
  return count;
}

// --trace in run-bench: BENCH_TRACE names the file the run's command timeline goes to.
const tracer = process.env.BENCH_TRACE ? commandTracer() : undefined;
const tracing = (): { logger?: ReturnType<typeof commandTracer>['logger'] } =>
  tracer ? { logger: tracer.logger } : {};
const traced = (): void => tracer?.save(process.env.BENCH_TRACE!);

async function connectorImport(
  target: Target,
  firstRow: () => void,
  postReadAction?: { type: 'markSeen' },
): Promise<number> {
  // As the CLI's import into an account does from its start (IMAP_CONNECTOR_HEAP=v8 to compare).
  if (!target.archive) keepHeapLean(process.env);
  const { runImport } = await import('../../src/index.js');
  const source = {
    server: target.host,
    port: target.port,
    security: 'none',
    username: target.user,
    password: target.password,
    timeout: 120_000,
  };
  const destination = target.archive
    ? { archive: target.archive }
    : {
        connection: {
          ...source,
          username: target.destination!.user,
          password: target.destination!.password,
          isTarget: true,
        },
        state: target.state!,
      };
  const spec = { destination, ...(postReadAction ? { postReadAction } : {}) };
  const result = await runImport(source, spec, { onProgress: firstRow, ...tracing() });
  traced();
  return result.totals.seen;
}

/** mbsync (isync) pulling every folder into the destination account, arrival dates kept. */
async function mbsync(target: Target): Promise<number> {
  const { execFileSync } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const account = (name: string, user: string, password: string): string =>
    `IMAPAccount ${name}\nHost ${target.host}\nPort ${target.port}\nUser ${user}\nPass ${password}\nSSLType None\nAuthMechs LOGIN\n\nIMAPStore ${name}\nAccount ${name}\n\n`;
  const rc = `${target.workDir}/mbsyncrc`;
  writeFileSync(
    rc,
    account('src', target.user, target.password) +
      account('dst', target.destination!.user, target.destination!.password) +
      `Channel copy\nFar :src:\nNear :dst:\nPatterns *\nCreate Near\nSync Pull\nCopyArrivalDate yes\nSyncState ${target.workDir}/\n`,
  );
  execFileSync('mbsync', ['-c', rc, '-a', '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return -1; // run-bench counts the destination itself
}

const SCENARIOS: Record<string, Scenario> = {
  'raw-full': (t) =>
    rawFetchAll(t.host, t.port, t.user, t.password, t.folders, '(UID RFC822.SIZE BODY.PEEK[])'),
  'raw-meta': (t) =>
    rawFetchAll(
      t.host,
      t.port,
      t.user,
      t.password,
      t.folders,
      '(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)',
    ),
  // The usual Node approach: imapflow fetches each source, simpleParser builds the fields.
  'imapflow-simpleparser': (t, firstRow) =>
    withImapFlow(t, async (client) => {
      const { simpleParser } = await import('mailparser');
      let n = 0;
      for await (const message of client.fetch(
        '1:*',
        { uid: true, flags: true, internalDate: true, size: true, source: true },
        { uid: true },
      )) {
        const mail = await simpleParser(message.source!);
        const row = {
          uid: message.uid,
          subject: mail.subject,
          from: mail.from?.value,
          to: mail.to,
          date: mail.date,
          text: mail.text,
          html: mail.html,
          attachments: mail.attachments.map((a) => ({
            filename: a.filename,
            size: a.size,
            sha256: createHash('sha256').update(a.content).digest('hex'),
          })),
        };
        if (n === 0) firstRow();
        if (row) n++;
      }
      return n;
    }),
  'imapflow-envelope': (t, firstRow) =>
    withImapFlow(t, async (client) => {
      let n = 0;
      for await (const message of client.fetch(
        '1:*',
        {
          uid: true,
          flags: true,
          internalDate: true,
          size: true,
          envelope: true,
          bodyStructure: true,
        },
        { uid: true },
      )) {
        if (n === 0) firstRow();
        if (message.envelope) n++;
      }
      return n;
    }),
  'connector-envelope': (t, firstRow) => connector(t, firstRow, 'envelope'),
  'connector-full': (t, firstRow) => connector(t, firstRow, 'full'),
  'connector-text': (t, firstRow) => connector(t, firstRow, 'text'),
  'import-archive': connectorImport,
  'import-imap': connectorImport,
  'import-imap-all-duplicates': connectorImport,
  // The bench's messages are all \\Seen: the action changes nothing, yet costs its commands.
  'import-imap-mark-seen': (t, firstRow) => connectorImport(t, firstRow, { type: 'markSeen' }),
  'mbsync-imap': (t) => mbsync(t),
  'raw-stream-copy': async (t) => {
    await rawStreamCopy(t.host, t.port, t, t.destination!, t.folders);
    return -1; // run-bench counts the destination itself
  },
};

async function run(): Promise<void> {
  const [name, json, option] = process.argv.slice(2);
  const scenario = SCENARIOS[name ?? ''];
  if (!scenario || !json)
    throw new Error(`usage: scenario.js <${Object.keys(SCENARIOS).join('|')}> <target json>`);
  const memoryAtPeak = option === '--memory' ? watchMemory() : undefined;
  const collections = countCollections();
  const started = performance.now();
  let firstRowMs: number | null = null;
  const messages = await scenario(JSON.parse(json) as Target, () => {
    firstRowMs ??= performance.now() - started;
  });
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  const memory = memoryAtPeak?.();
  // This process's own CPU by thread: the machine's busy time less Dovecot's also holds the
  // bench's own process and whatever else ran, too coarse to judge a change of a few percent.
  const { mainThread, otherThreads } = threadSplit(process.pid);
  const ownCpu = { mainS: mainThread, otherS: otherThreads };
  const gc = collections();
  process.stdout.write(
    JSON.stringify({ messages, firstRowMs, maxRssMb, memory, ownCpu, gc }) + '\n',
  );
}

run().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
