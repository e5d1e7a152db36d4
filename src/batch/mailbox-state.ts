/**
 * What a batch's records hold, wherever they live (SQLite for a local batch, Redis for a queued
 * one): per run its status, per mailbox its line in the status table. Labels and counts only:
 * never a password, token or CSV line.
 */

/** An error as status, reports and notifications show it: code, message, hint; never a secret. */
export interface ReportedError {
  code: string;
  message: string;
  hint?: string;
}

export type MailboxStatus = 'queued' | 'checking' | 'running' | 'done' | 'failed' | 'skipped';
export type RunStatus = 'running' | 'done' | 'failed' | 'stopped';

/** One mailbox's line in the status table; counts over every attempt of the run. */
export interface MailboxState {
  key: string;
  label: string;
  line: number;
  status: MailboxStatus;
  attempts: number;
  foldersDone: number;
  foldersTotal: number | null;
  seen: number;
  copied: number;
  duplicates: number;
  failed: number;
  bytes: number;
  startedAt: string | null;
  endedAt: string | null;
  error: ReportedError | null;
  /** Per folder, over every attempt: what was copied. */
  folders: FolderCounts[];
  /** A queued batch: the worker (host:pid) that runs or ran it. */
  worker?: string;
}

/** One folder's counts in a mailbox's row; sourceDeleted only where a delete action removed mail. */
export interface FolderCounts {
  folder: string;
  seen: number;
  copied: number;
  duplicates: number;
  failed: number;
  sourceDeleted?: number;
  /** Replace mode: messages removed from the destination folder before the copy. */
  destinationRemoved?: number;
  /** Replace mode asked but nothing emptied: the job ran before without it. */
  replaceSkipped?: boolean;
  /** Messages copied by earlier runs whose flag changes were carried over. */
  flagsUpdated?: number;
  /** mirrorDeletions: copies removed because the source deleted their message. */
  deletionsMirrored?: number;
  /** Flags a folder could not keep (PERMANENTFLAGS), left out: "$Label1 at the destination". */
  flagsLeftOut?: string[];
}

export interface RunState {
  id: number;
  name: string;
  status: RunStatus;
  startedAt: string;
  endedAt: string | null;
}

/** A mailbox as a run lists it before anything happened to it. */
export interface ListedMailbox {
  key: string;
  label: string;
  line: number;
}
