import { parseArgs } from 'node:util';
import { readStream } from '../read/read-stream.js';
import type { UidValidityChange } from '../read/read-page.js';
import { read, type ReadOptions } from '../read/read.js';
import { readWatching } from './read-watching.js';
import { testQuery } from '../read/test-query.js';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_HELP } from './connection-flags.js';
import { EXIT_CODES, EXIT_CODE_HELP, EXIT_PIPE_CLOSED } from './exit-codes.js';
import { signalOf, stderrLogger, type CliIo } from './io.js';
import { connectionFromFlags } from './load-connection.js';
import { Progress } from './progress.js';
import { QUERY_FLAGS, QUERY_FLAGS_HELP, queryFromFlags, selectFromFlags } from './query-flags.js';
import { reportError } from './report-error.js';
import { openRowOutput, outputStart, type RowOutput } from './row-output.js';
import { acquireJobLock, type JobLock } from '../sinks/job-lock.js';
import { readStateFile } from './state-file.js';
import { ReadDelivery, readerWentAway } from './read-delivery.js';
import { usageError } from './usage-error.js';
import { parseFlags } from './parse-flags.js';

export const READ_HELP = `Usage: imap-connector read [options]

Reads the messages a query matches as rows, one JSON object per line (NDJSON), in folder
order and UID order. Without --all one page is read and the cursor for the next is printed.

${QUERY_FLAGS_HELP}

Paging and state:
      --page-size N        rows per page (default: the config's pageSize, 500)
      --cursor TEXT        continue after the page that returned this cursor
      --all                follow cursors until every matching message is read
      --state FILE         start from the state in FILE (if it exists) and keep it there:
                           after a finished run it holds what the next run continues from,
                           so a scheduled run reads only mail that arrived since
      --on-uidvalidity-change reread|fail   (default reread)
      --stream FOLDER      read only this stream (folder) of the query; repeat for more.
                           The state keeps one entry per folder, so streams can be read apart
      --changes            from --state or --cursor, also rows of what changed since: op
                           "update" (flags changed: the whole row) and op "delete" (expunged or
                           moved away); new messages come as op "insert"
      --watch              after reading everything, wait for new mail (IDLE: each message
                           as a row within a second of its arrival) until Ctrl-C or SIGTERM;
                           with --state, the state follows every row the output took
      --restart-changed-folders   a folder the state has read with another search is read
                           again from its start, instead of failing with CURSOR_INVALID
      --out FILE           write rows to FILE instead of stdout
      --json               the closing summary (and any error) as one JSON line on stderr,
                           {"rows", "cursor", "done", "warnings"}, for scripts

${CONNECTION_FLAGS_HELP}

  -v, --verbose    log the IMAP conversation (redacted) on stderr
  -h, --help       this text

${EXIT_CODE_HELP}
`;

const OPTIONS = {
  ...CONNECTION_FLAGS,
  ...QUERY_FLAGS,
  'page-size': { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
  watch: { type: 'boolean' },
  changes: { type: 'boolean' },
  state: { type: 'string' },
  'on-uidvalidity-change': { type: 'string' },
  stream: { type: 'string', multiple: true },
  'restart-changed-folders': { type: 'boolean' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];

function readOptions(values: Values, io: CliIo, cursor: string | undefined): ReadOptions {
  const change = values['on-uidvalidity-change'];
  if (change !== undefined && change !== 'reread' && change !== 'fail') {
    throw usageError(
      '/onUidValidityChange',
      `--on-uidvalidity-change must be reread or fail, got ${JSON.stringify(change)}`,
    );
  }
  const pageSize = values['page-size'] === undefined ? undefined : Number(values['page-size']);
  if (
    pageSize !== undefined &&
    !(Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= 10000)
  ) {
    throw usageError(
      '/pageSize',
      `--page-size must be 1-10000, got ${JSON.stringify(values['page-size'])}`,
    );
  }
  return {
    ...selectFromFlags(values),
    ...(cursor ? { cursor } : {}),
    ...(pageSize ? { pageSize } : {}),
    ...(change ? { onUidValidityChange: change } : {}),
    ...(values.stream ? { streams: values.stream } : {}),
    ...(values['restart-changed-folders'] ? { restartChangedFolders: true } : {}),
    ...(values.changes ? { changes: true } : {}),
    ...(values.verbose ? { logger: stderrLogger(io) } : {}),
    ...signalOf(io),
  };
}

function reportPageNotes(changes: UidValidityChange[], warnings: string[], io: CliIo): void {
  for (const change of changes)
    io.stderr.write(
      `UIDVALIDITY of ${change.folder} changed (${change.previous} -> ${change.current}); the folder was read again from the start.\n`,
    );
  for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
}

/** One `read` run as the flags describe it. */
export interface ReadJob {
  connection: Record<string, unknown>;
  query: string | undefined;
  options: ReadOptions;
  sink: RowOutput;
  values: Values;
  io: CliIo;
  delivery: ReadDelivery;
}

async function readAll(job: ReadJob): Promise<void> {
  const { connection, query, io, values } = job;
  let total: number | undefined;
  if (io.stderr.isTTY) {
    const count = await testQuery(connection, query, { sampleSize: 0, ...signalOf(io) });
    if (count.ok) total = count.totalMatches;
  }
  const progress = io.stderr.isTTY ? new Progress(io.stderr, total) : undefined;
  let last = '';
  const notes: string[] = [];
  const stream = readStream(connection, query, {
    ...job.options,
    onCheckpoint: ({ cursor, uidValidityChanged, warnings }) => {
      if (values.json) notes.push(...warnings);
      else reportPageNotes(uidValidityChanged, warnings, io);
      job.delivery.checkpoint(cursor);
      last = cursor;
    },
  });
  let rows = 0;
  for await (const row of stream) {
    job.sink.write(row);
    rows++;
    progress?.add();
  }
  progress?.finish();
  await job.delivery.deliver();
  if (values.json)
    io.stderr.write(JSON.stringify({ rows, cursor: last, done: true, warnings: notes }) + '\n');
  else
    io.stderr.write(
      `${rows} rows; done.${values.state ? ` State saved in ${values.state}.` : ''}\n`,
    );
}

async function readOnePage(job: ReadJob): Promise<void> {
  const result = await read(job.connection, job.query, job.options);
  for (const row of result.rows) job.sink.write(row);
  job.delivery.checkpoint(result.cursor);
  await job.delivery.deliver();
  if (job.values.json) {
    const summary = {
      rows: result.rows.length,
      cursor: result.cursor,
      done: result.done,
      warnings: result.warnings,
    };
    job.io.stderr.write(JSON.stringify(summary) + '\n');
    return;
  }
  reportPageNotes(result.uidValidityChanged, result.warnings, job.io);
  job.io.stderr.write(
    `${result.rows.length} rows; ${result.done ? 'done' : 'more to read'}.\ncursor: ${result.cursor}\n`,
  );
}

/** `imap-connector read`. */
export async function runRead(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: OPTIONS, strict: true });
  if (values.help) {
    io.stdout.write(READ_HELP);
    return EXIT_CODES.ok;
  }
  let sink: RowOutput | undefined;
  let lock: JobLock | undefined;
  try {
    const connection = connectionFromFlags(values, io);
    const query = queryFromFlags(values);
    // Two runs on one --state (overlapping cron runs) would both append the same rows.
    if (values.state) lock = await acquireJobLock(values.state, 'read', 0);
    const state = values.state ? readStateFile(values.state) : undefined;
    const options = readOptions(values, io, values.cursor ?? state?.cursor);
    // Resuming with --cursor appends; a state file says where its committed rows end.
    const start = values.out
      ? outputStart(values.out, values.cursor ? undefined : state, values.cursor !== undefined)
      : { kind: 'fresh' as const };
    sink = openRowOutput(values.out, io, start);
    const delivery = new ReadDelivery(sink, io, values.state, values.out);
    const job = { connection, query, options, sink, values, io, delivery };
    if (values.watch && values.cursor)
      throw usageError('/watch', '--watch goes on from --state, not from --cursor');
    await (values.watch ? readWatching : values.all ? readAll : readOnePage)(job);
    return EXIT_CODES.ok;
  } catch (error) {
    return readFailed(error, sink, values, io);
  } finally {
    sink?.close();
    lock?.release();
  }
}

/** A read that stopped: the reader of a pipe went away (141), or an error with its exit class. */
function readFailed(
  error: unknown,
  sink: RowOutput | undefined,
  values: ReadJob['values'],
  io: CliIo,
): number {
  if (readerWentAway(error, io)) {
    io.stderr.write(
      `Stopped: the reader of the output went away.${values.state ? ` ${values.state} was not moved past what it provably got: the next run gives those rows again (their ids are stable).` : ''}\n`,
    );
    return EXIT_PIPE_CLOSED;
  }
  // Rows of the page that failed are not covered by any cursor: a resume reads them again.
  try {
    sink?.rollback();
  } catch {
    // The output is already failing; the error below is what the person needs.
  }
  return reportError(error, io, Boolean(values.json));
}
