import { makeError } from '../errors.js';
import {
  Archive,
  asArchiveError,
  type ArchiveStats,
  type VerifyResult,
} from '../sinks/archive-db.js';
import { exportEml, exportMbox } from '../sinks/archive-export.js';
import { EXIT_CODES, EXIT_CODE_HELP } from './exit-codes.js';
import type { CliIo } from './io.js';
import { reportError } from './report-error.js';
import { usageError } from './usage-error.js';
import { parseFlags } from './parse-flags.js';

export const ARCHIVE_HELP = `Usage: imap-connector archive <stats|export|verify> --archive FILE [options]

  stats                      messages, bytes and date range per account and folder
  verify                     read every message back and check it against its SHA-256,
                             and the file's own structure; lists what is damaged (exit 8)
  export --format eml --out DIR
                             one .eml file per message: DIR/<account>/<folder>/<uidvalidity>-<uid>.eml,
                             byte for byte as received
  export --format mbox --out FILE
                             all messages in one mboxrd file
                             (a damaged message is never exported: it is listed, exit 8)

Options:
      --archive FILE     the archive (made by imap-connector import --archive)
      --account NAME     only this account (as stats shows it)
      --folder NAME      only this folder
      --json             print the result as JSON
  -h, --help             this text

${EXIT_CODE_HELP}
`;

const OPTIONS = {
  archive: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  account: { type: 'string' },
  folder: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function formatStats(stats: ArchiveStats): string {
  const lines = stats.folders.map(
    (f) =>
      `  ${f.account}  ${f.folder}: ${f.messages} messages, ${f.bytes} bytes, ${f.firstDate ?? '-'} .. ${f.lastDate ?? '-'}`,
  );
  lines.push(
    `${stats.messages} messages, ${stats.bytes} bytes of mail in ${stats.storedBytes} bytes compressed`,
  );
  return lines.join('\n') + '\n';
}

function damagedLines(damaged: VerifyResult['damaged']): string {
  return damaged
    .map(
      (m) =>
        `DAMAGED  ${m.account}  ${m.folder}  UID ${m.uid} (UIDVALIDITY ${m.uidValidity}): ${m.damage}\n`,
    )
    .join('');
}

/** ARCHIVE_DAMAGED for a run that found damaged messages (what was good was still done). */
function damagedError(count: number, details: object): ReturnType<typeof makeError> {
  return makeError(
    'ARCHIVE_DAMAGED',
    `${count} archived message${count === 1 ? ' is' : 's are'} damaged.`,
    { details: { ...details } },
  );
}

/** `imap-connector archive stats|export|verify`. */
export async function runArchiveCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  const action = positionals[0];
  if (values.help || action === undefined) {
    io.stdout.write(ARCHIVE_HELP);
    return values.help ? EXIT_CODES.ok : EXIT_CODES.usage;
  }
  try {
    if (action !== 'stats' && action !== 'export' && action !== 'verify')
      throw usageError('/', `archive takes stats, export or verify, got ${JSON.stringify(action)}`);
    if (!values.archive) throw usageError('/archive', '--archive FILE is required');
    if (action === 'export') {
      if (values.format !== 'eml' && values.format !== 'mbox')
        throw usageError(
          '/format',
          `--format must be eml or mbox, got ${JSON.stringify(values.format ?? '')}`,
        );
      if (!values.out)
        throw usageError('/out', '--out is required (a directory for eml, a file for mbox)');
    }
    // Reading never writes: works on read-only media and beside a running import.
    const archive = Archive.open(values.archive, { create: false, readonly: true });
    try {
      const filter = { account: values.account, folder: values.folder };
      if (action === 'stats') {
        const stats = archive.stats();
        io.stdout.write(values.json ? JSON.stringify(stats, null, 2) + '\n' : formatStats(stats));
      } else if (action === 'verify') {
        const result = archive.verify();
        const sound = result.damaged.length === 0 && result.database.join() === 'ok';
        io.stdout.write(
          values.json
            ? JSON.stringify(result) + '\n'
            : `${damagedLines(result.damaged)}${sound ? 'OK' : 'FAILED'}  ${result.messages} messages checked, ${result.damaged.length} damaged; database: ${result.database.join('; ')}\n`,
        );
        if (!sound) throw damagedError(result.damaged.length, { database: result.database });
      } else {
        const result =
          values.format === 'eml'
            ? exportEml(archive, values.out!, filter)
            : exportMbox(archive, values.out!, filter);
        io.stdout.write(
          values.json
            ? JSON.stringify(result) + '\n'
            : `${damagedLines(result.damaged)}${result.damaged.length ? 'PARTLY' : 'OK'}  exported ${result.messages} messages (${result.bytes} bytes) to ${values.out}${result.damaged.length ? `; ${result.damaged.length} damaged, not exported` : ''}\n`,
        );
        if (result.damaged.length > 0) throw damagedError(result.damaged.length, {});
      }
    } finally {
      archive.close();
    }
    return EXIT_CODES.ok;
  } catch (error) {
    return reportError(asArchiveError(error, values.archive ?? ''), io, Boolean(values.json));
  }
}
