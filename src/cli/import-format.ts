import type { FolderImportResult, ImportResult } from '../import/import-result.js';
import { unmatchedWarning } from '../query/plan.js';

/** What an import did, as a person reads it: a line per busy folder, failures, totals. */

function folderLine(folder: FolderImportResult): string {
  const seconds = (folder.elapsedMs / 1000).toFixed(1);
  const extra = [
    folder.recovered ? `${folder.recovered} recovered` : '',
    folder.flagsUpdated ? `flags of ${folder.flagsUpdated} copied before updated` : '',
    folder.flagsUnmatched
      ? `${folder.flagsUnmatched} with changed flags no longer at the destination`
      : '',
    folder.deletionsMirrored
      ? `${folder.deletionsMirrored} deleted at the source, removed here${folder.deletionsOnlyMarked ? ' (only marked \\Deleted: no UID EXPUNGE)' : ''}`
      : '',
    folder.flagSyncError
      ? `flags not synced: ${folder.flagSyncError.code} ${folder.flagSyncError.message}`
      : '',
    folder.uidValidityChanged
      ? `UIDVALIDITY changed ${folder.uidValidityChanged.previous} -> ${folder.uidValidityChanged.current}, read again`
      : '',
  ].filter(Boolean);
  return `  ${folder.folder} -> ${folder.destination}: ${folder.seen} seen, ${folder.copied} copied, ${folder.duplicates} duplicates, ${folder.failed} failed, ${folder.bytes} bytes, ${seconds}s${extra.length ? ` (${extra.join('; ')})` : ''}`;
}

/** Flags a folder could not keep (its PERMANENTFLAGS), a warning line per side. */
function leftOutWarnings(folder: FolderImportResult): string[] {
  const lines: string[] = [];
  const listed = (side: 'destination' | 'source'): string =>
    (folder.flagsLeftOut ?? [])
      .filter((entry) => entry.side === side)
      .map((entry) => `${entry.flag} (${entry.messages})`)
      .join(', ');
  const kept = listed('destination');
  if (kept)
    lines.push(
      `  warning: ${folder.destination} cannot keep ${kept} (not in its PERMANENTFLAGS): copies of ${folder.folder} are without them`,
    );
  const marked = listed('source');
  if (marked)
    lines.push(
      `  warning: ${folder.folder} cannot keep ${marked} (not in its PERMANENTFLAGS): the post-read action left those messages unmarked`,
    );
  return lines;
}

/** The result as a person reads it; `stopped`: the run ended with an error, so what it did so far is not "OK". */
export function formatImport(result: ImportResult, stopped = false): string {
  const busy = result.folders.filter(
    (folder) =>
      folder.seen > 0 ||
      folder.recovered > 0 ||
      folder.uidValidityChanged ||
      folder.flagsUpdated ||
      folder.flagsUnmatched ||
      folder.flagSyncError ||
      folder.flagsLeftOut ||
      folder.deletionsMirrored,
  );
  const lines = busy.map(folderLine);
  const idle = result.folders.length - busy.length;
  if (idle > 0) lines.push(`  ${idle} folder${idle === 1 ? '' : 's'} with nothing new`);
  for (const folder of result.folders)
    for (const failure of folder.failures)
      lines.push(
        `    failed UID ${failure.uid} in ${folder.folder}: ${failure.code} ${failure.message}`,
      );
  for (const folder of result.folders)
    for (const problem of folder.rowErrors ?? [])
      lines.push(
        `    stored UID ${problem.uid} in ${folder.folder} with a partial row: ${problem.code} ${problem.message}`,
      );
  for (const folder of result.folders) lines.push(...leftOutWarnings(folder));
  const t = result.totals;
  const label = stopped ? 'STOPPED, SO FAR' : t.failed === 0 ? 'OK' : 'DONE WITH FAILURES';
  lines.push(
    `${label}  ${t.seen} seen, ${t.copied} copied, ${t.duplicates} duplicates, ${t.failed} failed, ${t.bytes} bytes in ${(t.elapsedMs / 1000).toFixed(1)}s`,
  );
  for (const pattern of result.unmatched) lines.push(`  warning: ${unmatchedWarning(pattern)}`);
  if (result.replaceSkipped) lines.push(`  warning: ${result.replaceSkipped}`);
  return lines.join('\n') + '\n';
}
