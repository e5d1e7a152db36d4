import { parseArgs } from 'node:util';
import { applyActions, type ApplyActionsResult } from '../write/apply-actions.js';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_HELP } from './connection-flags.js';
import { EXIT_CODES, EXIT_CODE_HELP } from './exit-codes.js';
import { signalOf, stderrLogger, type CliIo } from './io.js';
import { connectionFromFlags } from './load-connection.js';
import { parseFlags } from './parse-flags.js';
import { readInput } from './read-input.js';
import { reportError } from './report-error.js';
import { usageError } from './usage-error.js';

export const APPLY_ACTIONS_HELP = `Usage: imap-connector apply-actions --ids FILE [actions] [options]

Acknowledges rows you have processed: marks, flags, moves or deletes the messages behind the
ids that 'imap-connector read' printed, and nothing else. A folder renumbered since the read
(UIDVALIDITY changed) is refused, never guessed at. Running it twice is harmless.

Which messages:
      --ids FILE           rows from 'read' (NDJSON, each with its "id"), or one id per
                           line; - for stdin

Actions (at least one):
      --mark-seen          set \\\\Seen
      --flag FLAG          add a flag or keyword (\\\\Flagged, processed); repeat for more
      --move-to FOLDER     move them there (created when missing; UID MOVE, or COPY and
                           UID EXPUNGE of just these)
      --delete             delete them (UID EXPUNGE of just these; without UIDPLUS they stay
                           marked \\\\Deleted, with a warning)
      --json               print the result as JSON

${CONNECTION_FLAGS_HELP}

  -v, --verbose    log the IMAP conversation (redacted) on stderr
  -h, --help       this text

${EXIT_CODE_HELP}
(8 also when a folder was refused because its UIDVALIDITY changed; the others are done)
`;

const OPTIONS = {
  ...CONNECTION_FLAGS,
  ids: { type: 'string' },
  'mark-seen': { type: 'boolean' },
  flag: { type: 'string', multiple: true },
  'move-to': { type: 'string' },
  delete: { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];

/** The ids in --ids: NDJSON rows (their "id"), JSON strings, or bare ids, one per line. */
export function idsFromText(text: string): string[] {
  return text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      if (!line.startsWith('{') && !line.startsWith('"')) return line;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw usageError('/ids', `line ${number} of --ids is not JSON`);
      }
      const id = typeof value === 'string' ? value : (value as { id?: unknown } | null)?.id;
      if (typeof id !== 'string') throw usageError('/ids', `line ${number} of --ids has no "id"`);
      return id;
    });
}

function inputFromFlags(values: Values): Record<string, unknown> {
  if (values.ids === undefined) throw usageError('/ids', 'give the rows to act on with --ids FILE');
  const ids = idsFromText(readInput(values.ids, '/ids').toString('utf8'));
  if (ids.length === 0)
    throw usageError('/ids', `--ids ${JSON.stringify(values.ids)} holds no ids`);
  return {
    ids,
    ...(values['mark-seen'] ? { markSeen: true } : {}),
    ...(values.flag ? { flags: values.flag } : {}),
    ...(values['move-to'] !== undefined ? { moveTo: values['move-to'] } : {}),
    ...(values.delete ? { delete: true } : {}),
  };
}

export function formatApplyActions(result: ApplyActionsResult): string {
  const lines = result.folders.map((folder) =>
    folder.status === 'done'
      ? `OK       ${folder.folder}: ${folder.uids.length} messages${folder.moveMethod ? ` (moved by ${folder.moveMethod})` : ''}${folder.alreadyThere ? ' (already there, not moved)' : ''}`
      : `REFUSED  ${folder.folder}: ${folder.uids.length} messages: ${folder.error?.code} ${folder.error?.message ?? ''}`,
  );
  lines.push(...result.warnings.map((warning) => `warning: ${warning}`));
  lines.push(`${result.acknowledged} acknowledged, ${result.refused} refused`);
  return lines.join('\n') + '\n';
}

/** `imap-connector apply-actions`. */
export async function runApplyActions(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: OPTIONS, strict: true });
  if (values.help) {
    io.stdout.write(APPLY_ACTIONS_HELP);
    return EXIT_CODES.ok;
  }
  try {
    const result = await applyActions(connectionFromFlags(values, io), inputFromFlags(values), {
      ...signalOf(io),
      ...(values.verbose ? { logger: stderrLogger(io) } : {}),
    });
    io.stdout.write(
      values.json ? JSON.stringify(result, null, 2) + '\n' : formatApplyActions(result),
    );
    return result.refused === 0 ? EXIT_CODES.ok : EXIT_CODES.state;
  } catch (error) {
    return reportError(error, io, Boolean(values.json));
  }
}
