import { isConnectorError } from '../errors.js';

/** A message the destination refused, and why; it is tried again on the next run. */
export interface FailedMessage {
  uid: number;
  code: string;
  message: string;
}

/**
 * A flag a folder could not keep (its PERMANENTFLAGS), so left out: at the destination, of
 * that many copies; at the source, of that many messages a post-read action was to mark.
 */
export interface FlagsLeftOut {
  side: 'destination' | 'source';
  flag: string;
  messages: number;
}

/** What an import did in one source folder. */
export interface FolderImportResult {
  folder: string;
  destination: string;
  /** Messages looked at (matching the query, new since the last run, or retried). */
  seen: number;
  copied: number;
  duplicates: number;
  failed: number;
  /** Why each failed message failed; they are tried again on the next run. */
  failures: FailedMessage[];
  /**
   * Messages copied whose row (the archive keeps one) could not be made whole, and why: their
   * bytes are stored, their row's `error` says what it lacks (issue 24). Absent when none.
   */
  rowErrors?: FailedMessage[];
  /** Source bytes copied. */
  bytes: number;
  elapsedMs: number;
  /** Messages an interrupted run had stored but not yet recorded, found at the destination. */
  recovered: number;
  /** Replace mode: messages removed from the destination folder before the copy; absent when none. */
  destinationRemoved?: number;
  /** Replace mode asked, the folder not emptied: the job ran before (`replaceSkipped` says why). */
  replaceSkipped?: boolean;
  /** Source messages deleted after copying (postReadAction delete); absent when none. */
  sourceDeleted?: number;
  /** Messages copied by earlier runs whose flag changes were carried to the destination; absent when none. */
  flagsUpdated?: number;
  /** Such messages the destination no longer holds (deleted or moved there): left alone; absent when none. */
  flagsUnmatched?: number;
  /** mirrorDeletions: copies removed because their message is gone from the source; absent when none. */
  deletionsMirrored?: number;
  /** Set when the destination could only mark those copies \Deleted (it has no UID EXPUNGE). */
  deletionsOnlyMarked?: boolean;
  /** Flags a folder could not keep, left out (copies without them, or marks not made); absent when none. */
  flagsLeftOut?: FlagsLeftOut[];
  /** Why the flags could not be synced this run (the copy went on; tried again next run). */
  flagSyncError?: { code: string; message: string };
  /** Set when the source renumbered the folder since the last run: it was read again from the start. */
  uidValidityChanged?: { previous: string; current: string };
}

export interface ImportTotals {
  seen: number;
  copied: number;
  duplicates: number;
  failed: number;
  bytes: number;
  elapsedMs: number;
  /** Source messages deleted after copying; absent when none. */
  sourceDeleted?: number;
  /** Replace mode: destination messages removed before the copy; absent when none. */
  destinationRemoved?: number;
  /** Messages copied before whose flag changes were carried over; absent when none. */
  flagsUpdated?: number;
  /** Such messages no longer at the destination; absent when none. */
  flagsUnmatched?: number;
  /** Copies removed because their message is gone from the source; absent when none. */
  deletionsMirrored?: number;
}

export interface ImportResult {
  destination: 'archive' | 'imap';
  folders: FolderImportResult[];
  totals: ImportTotals;
  /** Folder patterns of the query or connection that matched nothing. */
  unmatched: string[];
  /** Replace mode was asked for a job that ran before without it: why nothing was emptied. */
  replaceSkipped?: string;
}

export function emptyFolderResult(folder: string, destination: string): FolderImportResult {
  return {
    folder,
    destination,
    seen: 0,
    copied: 0,
    duplicates: 0,
    failed: 0,
    failures: [],
    bytes: 0,
    elapsedMs: 0,
    recovered: 0,
  };
}

export function totalsOf(folders: readonly FolderImportResult[], elapsedMs: number): ImportTotals {
  const sum = (key: 'seen' | 'copied' | 'duplicates' | 'failed' | 'bytes'): number =>
    folders.reduce((total, folder) => total + folder[key], 0);
  const optional = (
    key:
      | 'sourceDeleted'
      | 'destinationRemoved'
      | 'flagsUpdated'
      | 'flagsUnmatched'
      | 'deletionsMirrored',
  ): object => {
    const total = folders.reduce((sum, folder) => sum + (folder[key] ?? 0), 0);
    return total > 0 ? { [key]: total } : {};
  };
  return {
    seen: sum('seen'),
    copied: sum('copied'),
    duplicates: sum('duplicates'),
    failed: sum('failed'),
    bytes: sum('bytes'),
    elapsedMs,
    ...optional('sourceDeleted'),
    ...optional('destinationRemoved'),
    ...optional('flagsUpdated'),
    ...optional('flagsUnmatched'),
    ...optional('deletionsMirrored'),
  };
}

/** What a failed runImport had done before it stopped (details.result), if it got that far. */
export function partialImportResult(error: unknown): ImportResult | undefined {
  const result = isConnectorError(error) ? error.details?.result : undefined;
  return typeof result === 'object' &&
    result !== null &&
    Array.isArray((result as ImportResult).folders)
    ? (result as ImportResult)
    : undefined;
}
