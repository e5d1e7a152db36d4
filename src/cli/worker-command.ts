import type { parseArgs } from 'node:util';
import { runWorker } from '../queue/worker.js';
import { parseQueueUrl } from '../queue/queue-connection.js';
import { queueKey } from '../queue/sealed.js';
import { EXIT_CODES, EXIT_CODE_HELP } from './exit-codes.js';
import { stderrLogger, type CliIo } from './io.js';
import { parseFlags } from './parse-flags.js';
import { reportError } from './report-error.js';
import { usageError } from './usage-error.js';

export const WORKER_HELP = `Usage: imap-connector worker --queue URL [options]

Imports mailboxes of batches queued with "batch run PROFILE --queue URL", on this machine.
Start as many workers as you like, on as many machines: each takes the next mailbox, the
per-server connection caps and the batch's parallelMailboxes hold for all of them together,
and a mailbox whose worker died is taken up by another where it stopped. Ctrl-C or SIGTERM
lets each running import finish its current step, record it and give its mailbox back.

Options:
      --queue URL          redis://host:port or rediss://host:port (TLS), [/db]
      --queue-password-file FILE   the queue's password (else IMAP_CONNECTOR_QUEUE_PASSWORD)
      --queue-key-file FILE        the key the batch sealed the passwords with
                           (else IMAP_CONNECTOR_QUEUE_KEY)
      --concurrency N      mailboxes this worker imports at once (default 1)
      --lock-seconds N     how long a dead worker's mailbox waits before another takes it
                           (default 30)
  -v, --verbose            log the IMAP conversation (redacted) on stderr
  -h, --help               this text

${EXIT_CODE_HELP}`;

const OPTIONS = {
  queue: { type: 'string' },
  'queue-password-file': { type: 'string' },
  'queue-key-file': { type: 'string' },
  concurrency: { type: 'string' },
  'lock-seconds': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: true }>
>['values'];

/** A whole number within bounds, or USAGE_INVALID naming the flag. */
function count(value: string | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max)
    throw usageError(`/${flag}`, `--${flag} must be a whole number from 1 to ${max}`);
  return number;
}

/** What a worker runs with, from its flags and environment; a usage error before any I/O. */
function workerSettings(values: Values, positionals: string[], io: CliIo) {
  if (positionals.length > 0)
    throw usageError('/worker', `worker takes no arguments, got ${positionals.join(' ')}`);
  if (!values.queue) throw usageError('/queue', 'worker needs --queue URL');
  const queue = parseQueueUrl(values.queue, {
    env: io.env,
    passwordFile: values['queue-password-file'],
  });
  const key = queueKey(io.env, values['queue-key-file']);
  const concurrency = count(values.concurrency, 'concurrency', 1, 64);
  const lockSeconds = count(values['lock-seconds'], 'lock-seconds', 30, 3600);
  // A worker's jobs copy into accounts (never into an archive), their bytes off V8's heap.
  io.keepHeapLean?.(io.env);
  return { queue, key, concurrency, lockSeconds };
}

/** `imap-connector worker`. */
export async function runWorkerCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout.write(WORKER_HELP);
    return EXIT_CODES.ok;
  }
  try {
    const settings = workerSettings(values, positionals, io);
    const { queue, concurrency } = settings;
    io.stderr.write(
      `Worker on ${queue.shown}, ${concurrency} mailbox${concurrency > 1 ? 'es' : ''} at a time; Ctrl-C to stop.\n`,
    );
    await runWorker({
      ...settings,
      ...(io.signal ? { signal: io.signal } : {}),
      ...(values.verbose ? { logger: stderrLogger(io) } : {}),
      onJobEnd: (mailbox, status) => io.stderr.write(`${status}: ${mailbox}\n`),
      onWarning: (text) => io.stderr.write(`warning: ${text}\n`),
    });
    return EXIT_CODES.ok;
  } catch (error) {
    return reportError(error, io, false);
  }
}
