import { parseArgs } from 'node:util';
import { write, type WriteResult } from '../write/write.js';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_HELP } from './connection-flags.js';
import { EXIT_CODES, EXIT_CODE_HELP, worstExitCode } from './exit-codes.js';
import { signalOf, stderrLogger, type CliIo } from './io.js';
import { connectionFromFlags } from './load-connection.js';
import { reportError } from './report-error.js';
import { readInput } from './read-input.js';
import { usageError } from './usage-error.js';
import { parseFlags } from './parse-flags.js';

export const WRITE_HELP = `Usage: imap-connector write [options] (FILE.eml ... | --rows FILE)

Stores messages in one folder of a target connection (isTarget true), skipping those already
there (the connection's dedupe: Message-ID, then a content hash). Running it again with the
same messages stores nothing twice.

What to store:
  FILE.eml ...             RFC 5322 messages, one per file, stored byte for byte
      --rows FILE          NDJSON rows of 'imap-connector read --raw' (- for stdin): each row's
                           source, flags and internal date
      --flags A,B          flags for the .eml files, e.g. \\\\Seen,\\\\Flagged
  -f, --folder NAME        destination folder, created when missing (default INBOX)
      --dedupe MODE        message-id, hash or none (default: the connection's)
      --json               print the per-message result as JSON

${CONNECTION_FLAGS_HELP}

  -v, --verbose    log the IMAP conversation (redacted) on stderr
  -h, --help       this text

${EXIT_CODE_HELP}
(9 also when some messages were refused; the others are stored)
`;

const OPTIONS = {
  ...CONNECTION_FLAGS,
  rows: { type: 'string' },
  flags: { type: 'string' },
  folder: { type: 'string', short: 'f' },
  dedupe: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: true }>
>['values'];

/** --rows NDJSON -> write() messages; a line that is not a row with raw names its line number. */
function messagesFromRows(text: string): unknown[] {
  return text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      let row: { raw?: unknown; flags?: unknown; internalDate?: unknown };
      try {
        row = JSON.parse(line) as typeof row;
      } catch {
        throw usageError('/rows', `line ${number} of --rows is not JSON`);
      }
      if (typeof row.raw !== 'string')
        throw usageError('/rows', `line ${number} of --rows has no raw source; read it with --raw`);
      return {
        raw: row.raw,
        ...(Array.isArray(row.flags) ? { flags: row.flags } : {}),
        ...(row.internalDate ? { internalDate: row.internalDate } : {}),
      };
    });
}

/** The write() input the flags and files describe; checked by write() against its schema. */
function inputFromFlags(values: Values, files: string[]): Record<string, unknown> {
  if (values.rows !== undefined && files.length > 0)
    throw usageError('/messages', 'give .eml files or --rows, not both');
  if (values.rows === undefined && files.length === 0)
    throw usageError('/messages', 'give one or more .eml files, or --rows FILE');
  const flags = values.flags
    ? values.flags
        .split(',')
        .map((flag) => flag.trim())
        .filter(Boolean)
    : [];
  const messages =
    values.rows !== undefined
      ? messagesFromRows(readInput(values.rows, '/rows').toString('utf8'))
      : files.map((file) => ({ raw: readInput(file, '/messages').toString('base64'), flags }));
  return {
    messages,
    ...(values.folder ? { folder: values.folder } : {}),
    ...(values.dedupe ? { dedupe: values.dedupe } : {}),
  };
}

export function formatWrite(result: WriteResult): string {
  const lines = result.results
    .filter((r) => r.status === 'failed')
    .map((r) => `  message ${r.index + 1}: ${r.error?.code ?? 'FAILED'} ${r.error?.message ?? ''}`);
  lines.push(
    `${result.failed === 0 ? 'OK' : 'DONE WITH FAILURES'}  ${result.folder}${result.created ? ' (created)' : ''}: ${result.stored} stored, ${result.duplicates} already there, ${result.failed} failed`,
  );
  return lines.join('\n') + '\n';
}

/** `imap-connector write`. */
export async function runWrite(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout.write(WRITE_HELP);
    return EXIT_CODES.ok;
  }
  try {
    // Flags alone mean a target; a connection file that says isTarget false is refused by
    // write(), as the library does (issue 24: the CLI wrote into it).
    const connection = { isTarget: true, ...connectionFromFlags(values, io) };
    const result = await write(connection, inputFromFlags(values, positionals), {
      ...signalOf(io),
      ...(values.verbose ? { logger: stderrLogger(io) } : {}),
    });
    io.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : formatWrite(result));
    return worstExitCode(result.results.map((r) => r.error?.code));
  } catch (error) {
    return reportError(error, io, Boolean(values.json));
  }
}
