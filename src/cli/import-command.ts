import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.js';
import { runImport } from '../import/import-job.js';
import { partialImportResult, type FolderImportResult } from '../import/import-result.js';
import { formatImport } from './import-format.js';
import type { PostReadAction } from '../import/post-read-action.js';
import type { ImportSpec } from '../import/prepare-import.js';
import { parseFolderMapping } from '../write/map-folder.js';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, OUTPUT_FLAGS_HELP } from './connection-flags.js';
import { EXIT_CODES, EXIT_CODE_HELP, worstExitCode } from './exit-codes.js';
import { signalOf, stderrLogger, type CliIo } from './io.js';
import { connectionFromFlags } from './load-connection.js';
import { queryFromFlags } from './query-flags.js';
import { reportError } from './report-error.js';
import { Pace, StatusLine } from './progress.js';
import { usageError, usageErrors } from './usage-error.js';
import { parseFlags } from './parse-flags.js';

export const IMPORT_HELP = `Usage: imap-connector import [source connection] (--archive FILE | --target FILE --state FILE) [options]

Copies every message the query matches from the source account into the embedded archive
or another IMAP account, folder by folder, never twice. Run it again and it copies only
what is new; stop it at any point (Ctrl-C, kill, a lost connection) and the next run goes
on from where it stopped. Flags and internal dates are kept.

Destination:
      --archive FILE         the embedded archive (one SQLite file; created if missing)
      --target FILE          JSON connection config of the target account (isTarget true);
                             its secrets come from IMAP_TARGET_PASSWORD (or _FILE), etc.
      --state FILE           the job's state and journal (needed with --target)

What and how:
  -q, --query TEXT           IMAP SEARCH criteria (default: the source config's query, else ALL);
                             FOLDER/IN, dates, LIMIT work as in read
      --query-file FILE      read the query from FILE
      --dedupe MODE          message-id (default), hash or none
      --folder-prefix NAME   put every folder under NAME, e.g. Imported
      --map SRC=DST          send folder SRC to DST (repeat for more)
      --sent-folder NAME     the source's sent items folder when its server does not mark
                             it \\Sent ("Sent Items"): it goes to the target's sent folder
      --after ACTION         on the source, once a message is safely stored:
                             none (default), mark-seen, keyword:NAME, move:FOLDER, delete,
                             delete-older-than:90d (delete once the source has had it 90 days)
      --pop3                 the source is a POP3 server (port 995 with --security tls,
                             else 110): every message, only new ones on later runs (UIDL)
      --pop3-folder NAME     where a POP3 source's messages go (default INBOX)
      --replace              empty the target folders this import writes before its first
                             run (once: later runs go on incrementally); --target only
      --no-sync-flags        leave the flags of messages copied by earlier runs as they are
                             (by default a rerun carries their changes at the source over)
      --mirror-deletions     remove from the target what this job copied and the source
                             has deleted (or moved away) since; never by default
      --wait-for-lock SECS   when another run of this job is still going, wait up to SECS
                             for it to finish (default 0: stop at once with JOB_BUSY)

${CONNECTION_FLAGS_HELP}

${OUTPUT_FLAGS_HELP}

${EXIT_CODE_HELP}
(9 also when some messages failed; they are tried again on the next run)
`;

const OPTIONS = {
  ...CONNECTION_FLAGS,
  query: { type: 'string', short: 'q' },
  'query-file': { type: 'string' },
  archive: { type: 'string' },
  target: { type: 'string' },
  state: { type: 'string' },
  dedupe: { type: 'string' },
  'folder-prefix': { type: 'string' },
  map: { type: 'string', multiple: true },
  'sent-folder': { type: 'string' },
  after: { type: 'string' },
  replace: { type: 'boolean' },
  'no-sync-flags': { type: 'boolean' },
  'mirror-deletions': { type: 'boolean' },
  pop3: { type: 'boolean' },
  'pop3-folder': { type: 'string' },
  'wait-for-lock': { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * --after mark-seen | keyword:NAME | move:FOLDER | delete | delete-older-than:DAYSd | none ->
 * the spec's postReadAction.
 */
export function parseAfter(text: string | undefined): PostReadAction | undefined {
  if (text === undefined) return undefined;
  const [verb, ...rest] = text.split(':');
  const argument = rest.join(':');
  if (verb === 'none' && argument === '') return { type: 'none' };
  if (verb === 'mark-seen' && argument === '') return { type: 'markSeen' };
  if (verb === 'delete' && argument === '') return { type: 'delete' };
  if (verb === 'keyword' && argument !== '') return { type: 'addKeyword', keyword: argument };
  if (verb === 'move' && argument !== '') return { type: 'move', folder: argument };
  const days = /^(\d{1,5})d?$/.exec(argument);
  if (verb === 'delete-older-than' && days && Number(days[1]) >= 1)
    return { type: 'delete', olderThanDays: Number(days[1]) };
  throw usageError(
    '/postReadAction',
    `--after must be none, mark-seen, keyword:NAME, move:FOLDER, delete or delete-older-than:DAYSd (30d), got ${JSON.stringify(text)}`,
  );
}

function specFromFlags(
  values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'],
  io: CliIo,
): ImportSpec {
  if (values.archive !== undefined && values.target !== undefined)
    throw usageError('/destination', 'give either --archive or --target, not both');
  let destination: ImportSpec['destination'];
  if (values.archive !== undefined) destination = { archive: values.archive };
  else if (values.target !== undefined) {
    if (values.state === undefined)
      throw usageError(
        '/destination/state',
        '--state FILE is needed with --target (the job journal lives there)',
      );
    destination = {
      connection: loadConfig({ file: values.target, env: io.env, envPrefix: 'IMAP_TARGET_' }),
      state: values.state,
    };
  } else throw usageError('/destination', 'give --archive FILE or --target FILE --state FILE');
  const spec: Record<string, unknown> = { destination };
  const query = queryFromFlags(values);
  if (query !== undefined) spec.query = query;
  if (values.dedupe !== undefined) spec.dedupe = values.dedupe;
  if (values['folder-prefix'] !== undefined) spec.folderPrefix = values['folder-prefix'];
  if (values.map !== undefined) {
    const { mapping, errors } = parseFolderMapping(values.map);
    if (errors.length > 0)
      throw usageErrors(errors.map((message) => ({ field: '/folderMapping', message })));
    spec.folderMapping = mapping;
  }
  if (values['sent-folder'] !== undefined) spec.sentFolder = values['sent-folder'];
  const after = parseAfter(values.after);
  if (after) spec.postReadAction = after;
  if (values.replace) spec.replace = true;
  if (values['no-sync-flags']) spec.syncFlags = false;
  if (values['mirror-deletions']) spec.mirrorDeletions = true;
  if (values['pop3-folder'] !== undefined && !values.pop3)
    throw usageError('/pop3', '--pop3-folder needs --pop3');
  if (values.pop3)
    spec.pop3 = values['pop3-folder'] !== undefined ? { folder: values['pop3-folder'] } : {};
  const wait = values['wait-for-lock'];
  if (wait !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(wait))
      throw usageError(
        '/waitForLock',
        `--wait-for-lock must be seconds (0-86400), got ${JSON.stringify(wait)}`,
      );
    spec.waitForLock = Number(wait);
  }
  return spec as unknown as ImportSpec;
}

/** One line on a terminal, redrawn on a timer: the folder being imported, its counts and the pace. */
function folderProgress(io: CliIo): {
  update: (folder: FolderImportResult) => void;
  finish: () => void;
} {
  let current: FolderImportResult | undefined;
  let before = 0;
  const pace = new Pace();
  const line = new StatusLine(io.stderr, () => {
    if (!current) return '  connecting ...';
    const rate = pace.rate();
    return `  ${current.folder}: ${current.seen} seen, ${current.copied} copied, ${current.duplicates} duplicates, ${current.failed} failed${rate === undefined ? '' : `  ${Math.round(rate)} messages/s`}`;
  });
  return {
    update(folder) {
      // seen counts per folder: the pace counts across folders.
      if (current && folder.folder !== current.folder) before += current.seen;
      pace.add(before + folder.seen - pace.count);
      current = folder;
    },
    finish: () => line.finish(),
  };
}

/** `imap-connector import`. Ctrl-C stops after the current step of messages, leaving the state consistent. */
export async function runImportCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: OPTIONS, strict: true });
  if (values.help) {
    io.stdout.write(IMPORT_HELP);
    return EXIT_CODES.ok;
  }
  try {
    const source = connectionFromFlags(values, io);
    const spec = specFromFlags(values, io);
    // An import into an account keeps its bytes off V8's heap; the archive's starts a thread.
    if ('connection' in spec.destination) io.keepHeapLean?.(io.env);
    const progress = io.stderr.isTTY ? folderProgress(io) : undefined;
    const result = await runImport(source, spec, {
      ...signalOf(io),
      ...(values.verbose ? { logger: stderrLogger(io) } : {}),
      ...(progress ? { onProgress: progress.update } : {}),
    }).finally(() => progress?.finish());
    io.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : formatImport(result));
    return worstExitCode(
      result.folders.flatMap((folder) => folder.failures.map((failure) => failure.code)),
    );
  } catch (error) {
    const partial = partialImportResult(error);
    if (partial && !values.json) io.stdout.write(formatImport(partial, true));
    return reportError(error, io, Boolean(values.json));
  }
}
