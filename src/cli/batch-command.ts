import { parseArgs } from 'node:util';
import { formatReportText } from '../batch/batch-report.js';
import type { BatchReport } from '../batch/batch-report.js';
import { batchStatus, failedMailboxKeys } from '../batch/batch-status.js';
import type { MailboxState } from '../batch/mailbox-state.js';
import { checkBatch, runBatch } from '../batch/run-batch.js';
import { profileOf } from '../batch/prepare-batch.js';
import type { QueueTarget } from '../queue/queue-connection.js';
import { sleep } from '../sleep.js';
import { EXIT_CODES, EXIT_CODE_HELP, worstExitCode } from './exit-codes.js';
import { signalOf, stderrLogger, type CliIo } from './io.js';
import { parseFlags } from './parse-flags.js';
import { counts, formatChecks, formatRuns, formatStatus } from './batch-format.js';
import { StatusLine } from './progress.js';
import { reportError } from './report-error.js';
import { usageError } from './usage-error.js';

export const BATCH_HELP = `Usage: imap-connector batch <run|check|status|list> PROFILE [options]

Many mailboxes at once, from a profile (JSON or YAML) that names the source server, the
destination (the embedded archive, or another IMAP server) and the mailbox list (a CSV file or a
master user and its users). See "Batches" in the README.

  run PROFILE       check every mailbox, then import them, N at a time; run it again to
                    continue a stopped run, or (once finished) to copy only what is new
  check PROFILE     only the check: log in to every source and destination mailbox
  status PROFILE    the latest run, one line per mailbox (--watch: refreshed while it runs)
  list PROFILE      every run: start, end, duration, totals

Options:
      --state FILE  the batch's state file (default: PROFILE.state)
      --failed-only (run) only the mailboxes the last run failed, as the list says them now
      --queue URL   (run, status) on a Redis queue: redis://host:port or rediss:// (TLS);
                    workers on any machine do the imports (imap-connector worker)
      --queue-password-file FILE   the queue's password (else IMAP_CONNECTOR_QUEUE_PASSWORD)
      --queue-key-file FILE        the key that seals the passwords in the queue's jobs
                    (else IMAP_CONNECTOR_QUEUE_KEY; 32 bytes: openssl rand -base64 32)
      --json        machine-readable output
      --watch       (status) redraw every 2 seconds until the run ends
  -v, --verbose     log the IMAP conversation (redacted) on stderr
  -h, --help        this text

Secrets: the CSV holds the mailbox passwords; a master user's password comes from
IMAP_MASTER_PASSWORD, a destination master's from IMAP_TARGET_MASTER_PASSWORD, the SMTP
password from SMTP_PASSWORD (each also as NAME_FILE).

${EXIT_CODE_HELP}
A batch whose mailboxes all ended well exits 0; else the class of the worst mailbox's failure
(the others are done; a replay CSV of the failed ones is written beside the state). A batch
stopped by its own time limit (throttle.batchTimeoutSeconds) exits 5.
`;

const OPTIONS = {
  state: { type: 'string' },
  'failed-only': { type: 'boolean' },
  queue: { type: 'string' },
  'queue-password-file': { type: 'string' },
  'queue-key-file': { type: 'string' },
  json: { type: 'boolean' },
  watch: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: true }>
>['values'];

export function reportExitCode(report: BatchReport): number {
  if (report.status === 'stopped') return EXIT_CODES.timeout;
  const codes = report.mailboxes.map((m) =>
    m.status === 'failed' || m.failed > 0 ? (m.error?.code ?? 'INTERNAL') : undefined,
  );
  const worst = worstExitCode(codes);
  return worst === EXIT_CODES.ok && report.status !== 'done' ? EXIT_CODES.internal : worst;
}

async function run(profile: string, values: Values, io: CliIo): Promise<number> {
  const line =
    io.stderr.isTTY && !values.json ? new StatusLine(io.stderr, () => `  ${status}`) : undefined;
  let status = 'checking the mailboxes ...';
  try {
    const options = {
      ...(values.state ? { statePath: values.state } : {}),
      env: io.env,
      ...signalOf(io),
      ...(values.verbose ? { logger: stderrLogger(io) } : {}),
      onProgress: (mailboxes: MailboxState[]) => {
        status = counts(mailboxes);
      },
    };
    if (values['failed-only'] && values.queue)
      throw usageError('/failedOnly', '--failed-only runs on this machine: leave out --queue.');
    keepHeapLeanIntoAccounts(profile, values, io);
    const only = values['failed-only'] ? await failedMailboxKeys(profile, options) : undefined;
    const report = values.queue
      ? await (
          await import('../queue/queue-batch.js')
        ).runQueuedBatch(profile, {
          ...options,
          queue: await queueOf(values, io),
          key: (await import('../queue/sealed.js')).queueKey(io.env, values['queue-key-file']),
          onWarning: (text: string) => io.stderr.write(`warning: ${text}\n`),
        })
      : await runBatch(profile, { ...options, ...(only ? { only } : {}) });
    line?.finish();
    io.stdout.write(
      values.json ? JSON.stringify(report, null, 2) + '\n' : formatReportText(report),
    );
    return reportExitCode(report);
  } catch (error) {
    line?.finish();
    throw error;
  }
}

/**
 * Into accounts, this process copies as `import --target` does (lean-heap.ts); a queued batch
 * copies in the workers, and an archive's packer starts threads.
 */
function keepHeapLeanIntoAccounts(profile: string, values: Values, io: CliIo): void {
  if (!values.queue && io.keepHeapLean && profileOf(profile).destination.imap)
    io.keepHeapLean(io.env);
}

/**
 * The --queue target, validated before any connection. The queue's modules (BullMQ, ioredis)
 * load only when a command uses a queue: every other command starts without them.
 */
async function queueOf(values: Values, io: CliIo): Promise<QueueTarget> {
  const { parseQueueUrl } = await import('../queue/queue-connection.js');
  return parseQueueUrl(values.queue!, {
    env: io.env,
    passwordFile: values['queue-password-file'],
  });
}

async function status(profile: string, values: Values, io: CliIo): Promise<number> {
  const options = values.state ? { statePath: values.state } : {};
  for (;;) {
    const current = values.queue
      ? await (
          await import('../queue/queue-batch.js')
        ).queuedBatchStatus(profile, { queue: await queueOf(values, io) })
      : await batchStatus(profile, options);
    if (values.json) {
      io.stdout.write(JSON.stringify(current, null, 2) + '\n');
      return EXIT_CODES.ok;
    }
    const dead = current.run?.status === 'interrupted';
    const head = !current.run
      ? 'No runs yet.\n'
      : dead
        ? `Batch run ${current.run.id}: INTERRUPTED (started ${current.run.startedAt}; no process runs it): continue it with "imap-connector batch run"\n`
        : `Batch run ${current.run.id}: ${current.run.status.toUpperCase()} since ${current.run.startedAt}\n`;
    const text = head + (current.run ? formatStatus(current.mailboxes, Date.now(), dead) : '');
    const live = values.watch && io.stdout.isTTY && current.run?.status === 'running';
    io.stdout.write(live ? `\x1b[H\x1b[2J${text}` : text);
    if (!live) return EXIT_CODES.ok;
    await sleep(2000, signalOf(io).signal);
  }
}

/** `imap-connector batch`. */
export async function runBatchCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  const [action, profile, ...extra] = positionals;
  if (values.help || action === undefined) {
    io.stdout.write(BATCH_HELP);
    return values.help ? EXIT_CODES.ok : EXIT_CODES.usage;
  }
  try {
    if (!['run', 'check', 'status', 'list'].includes(action))
      throw usageError(
        '/action',
        `unknown batch action ${JSON.stringify(action)}: run, check, status or list`,
      );
    if (profile === undefined)
      throw usageError('/profile', `batch ${action} needs the profile file`);
    if (extra.length > 0)
      throw usageError('/profile', `one profile at a time, got ${extra.length + 1}`);
    if (action === 'run') return await run(profile, values, io);
    if (action === 'status') return await status(profile, values, io);
    if (action === 'check') {
      const checks = await checkBatch(profile, { env: io.env, ...signalOf(io) });
      io.stdout.write(values.json ? JSON.stringify(checks, null, 2) + '\n' : formatChecks(checks));
      return worstExitCode(checks.map((c) => (c.ok ? undefined : (c.error?.code ?? 'INTERNAL'))));
    }
    const { runs } = await batchStatus(profile, values.state ? { statePath: values.state } : {});
    io.stdout.write(values.json ? JSON.stringify(runs, null, 2) + '\n' : formatRuns(runs));
    return EXIT_CODES.ok;
  } catch (error) {
    return reportError(error, io, Boolean(values.json));
  }
}
