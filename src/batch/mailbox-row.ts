/**
 * A mailbox's row as an attempt changes it: fresh, its counts from an import's folders on top
 * of what earlier attempts recorded, done, or an error as reports show it. The local batch and
 * the queue's workers build rows with these alone, so they count alike (issue 25).
 */
import { redactText } from '../config/redact.js';
import { isConnectorError } from '../errors.js';
import { totalsOf, type FolderImportResult, type ImportResult } from '../import/import-result.js';
import type { ListedMailbox, MailboxState, ReportedError } from './mailbox-state.js';

/** A mailbox's row before anything happened to it. */
export function freshMailbox({ key, label, line }: ListedMailbox): MailboxState {
  return {
    key,
    label,
    line,
    status: 'queued',
    attempts: 0,
    foldersDone: 0,
    foldersTotal: null,
    seen: 0,
    copied: 0,
    duplicates: 0,
    failed: 0,
    bytes: 0,
    startedAt: null,
    endedAt: null,
    error: null,
    folders: [],
  };
}

/** Any error as a row shows it: code, message (server text redacted), hint. */
export function reported(error: unknown, passwords: readonly string[]): ReportedError {
  if (isConnectorError(error))
    return {
      code: error.code,
      message: redactText(error.message, passwords),
      ...(error.hint ? { hint: error.hint } : {}),
    };
  return {
    code: 'INTERNAL',
    message: redactText(String((error as Error)?.message ?? error), passwords),
  };
}

/** The counts one attempt's folders add up to. */
export type Counts = Pick<
  MailboxState,
  'seen' | 'copied' | 'duplicates' | 'failed' | 'bytes' | 'foldersDone' | 'folders'
>;

/** One attempt's counts from its folders so far. */
export function countsOf(folders: readonly FolderImportResult[]): Counts {
  const { seen, copied, duplicates, failed, bytes } = totalsOf(folders, 0);
  return {
    seen,
    copied,
    duplicates,
    failed,
    bytes,
    foldersDone: folders.length,
    folders: folders.map((f) => ({
      folder: f.folder,
      seen: f.seen,
      copied: f.copied,
      duplicates: f.duplicates,
      failed: f.failed,
      ...(f.sourceDeleted ? { sourceDeleted: f.sourceDeleted } : {}),
      ...(f.destinationRemoved ? { destinationRemoved: f.destinationRemoved } : {}),
      ...(f.replaceSkipped ? { replaceSkipped: true } : {}),
      ...(f.flagsUpdated ? { flagsUpdated: f.flagsUpdated } : {}),
      ...(f.deletionsMirrored ? { deletionsMirrored: f.deletionsMirrored } : {}),
      ...(f.flagsLeftOut
        ? { flagsLeftOut: f.flagsLeftOut.map((entry) => `${entry.flag} at the ${entry.side}`) }
        : {}),
    })),
  };
}

const SUMMED = ['seen', 'copied', 'duplicates', 'failed', 'bytes'] as const;
const PER_FOLDER = ['seen', 'copied', 'duplicates', 'failed'] as const;
const OPTIONAL_PER_FOLDER = [
  'sourceDeleted',
  'destinationRemoved',
  'flagsUpdated',
  'deletionsMirrored',
] as const;

/**
 * This attempt's counts on top of what the row held when it began (earlier attempts, in this
 * process or another, a worker killed midway as of its last flush): a run's counts add every
 * attempt (issue 24: a continued run's report counted only the last process's share).
 */
export function withEarlier(before: MailboxState, counts: Counts): Counts {
  const summed = Object.fromEntries(
    SUMMED.map((field) => [field, before[field] + counts[field]]),
  ) as Pick<MailboxState, (typeof SUMMED)[number]>;
  const folders = new Map(before.folders.map((folder) => [folder.folder, { ...folder }]));
  for (const folder of counts.folders) {
    const merged = folders.get(folder.folder);
    if (!merged) folders.set(folder.folder, { ...folder });
    else {
      for (const field of PER_FOLDER) merged[field] += folder[field];
      for (const field of OPTIONAL_PER_FOLDER) {
        const sum = (merged[field] ?? 0) + (folder[field] ?? 0);
        if (sum > 0) merged[field] = sum;
      }
      if (folder.replaceSkipped) merged.replaceSkipped = true;
      if (folder.flagsLeftOut)
        merged.flagsLeftOut = [
          ...new Set([...(merged.flagsLeftOut ?? []), ...folder.flagsLeftOut]),
        ];
    }
  }
  return {
    ...summed,
    folders: [...folders.values()],
    foldersDone: Math.max(before.foldersDone, counts.foldersDone),
  };
}

/** A mailbox's row once its import has ended: done, with the messages it could not copy. */
export function doneRow(counts: Counts, result: ImportResult): Partial<MailboxState> {
  const failedMessages = result.totals.failed;
  return {
    ...counts,
    foldersTotal: result.folders.length,
    status: 'done',
    endedAt: new Date().toISOString(),
    error:
      failedMessages > 0
        ? {
            code: worstMessageCode(result),
            message: `${failedMessages} messages could not be copied; they are tried again on the next run.`,
          }
        : null,
  };
}

/** The code of the failed messages, the most frequent one (APPEND_FAILED when none is listed). */
function worstMessageCode(result: ImportResult): string {
  const counted = new Map<string, number>();
  for (const folder of result.folders)
    for (const failure of folder.failures)
      counted.set(failure.code, (counted.get(failure.code) ?? 0) + 1);
  return [...counted].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'APPEND_FAILED';
}
