import { isConnectorError, makeError, resumeCursorOf, type ConnectorError } from '../errors.js';
import { EXIT_CODES } from './exit-codes.js';
import type { CliIo } from './io.js';

function issues(error: ConnectorError): string[] {
  const list = error.details?.issues;
  if (!Array.isArray(list)) return [];
  return list.map(
    (issue: { field: string; message: string }) => `  - ${issue.field}: ${issue.message}`,
  );
}

/**
 * Prints a failed operation on stderr (toJSON with --json, lines otherwise) and returns the
 * exit code of its class. Messages are already free of secrets (errors are built that way).
 */
export function reportError(error: unknown, io: CliIo, json: boolean): number {
  const known = isConnectorError(error)
    ? error
    : makeError('INTERNAL', `Unexpected error: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
  if (json) {
    io.stderr.write(JSON.stringify({ ok: false, error: known.toJSON() }) + '\n');
  } else {
    // A stop the user asked for is no failure: say so, and where it can go on.
    const label = known.code === 'ABORTED' ? 'STOPPED' : 'FAILED';
    const lines = [
      `${label}  ${known.code}  ${known.message}`,
      ...issues(known),
      `  hint          ${known.hint}`,
      // A stop is no failure to fix: what was done is saved, and the same command goes on.
      known.code === 'ABORTED'
        ? '  continue      run the same command again: it goes on where it stopped'
        : `  retry         ${known.retryable ? 'yes: a later run may succeed' : 'no: fix the cause first'}`,
    ];
    const available = known.code === 'FOLDER_NOT_FOUND' ? known.details?.available : undefined;
    if (Array.isArray(available))
      lines.push(`  folders       ${available.map((path) => JSON.stringify(path)).join(', ')}`);
    // Only where going on makes sense: a stop, or a fault a later run may get past.
    const cursor = resumeCursorOf(known);
    if (cursor && (known.retryable || known.code === 'ABORTED'))
      lines.push(`  resume with   --cursor ${cursor}`);
    io.stderr.write(lines.join('\n') + '\n');
  }
  return EXIT_CODES[known.kind];
}
