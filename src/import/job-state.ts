/**
 * What an import job records to resume without gaps or duplicates, as an interface with two
 * implementations: SQLite on one machine (import-state.ts: the archive's own file or a state
 * file) and Redis for workers on many machines (queue/redis-job-state.ts). Every call is one
 * atomic change. A method may answer at once (SQLite) or later (Redis): callers always await.
 */
import type { MessageIdentity } from '../write/message-identity.js';
import type { FailedMessage } from './import-result.js';

export type Awaitable<T> = T | Promise<T>;

/** How far a job got in one source folder. */
export interface FolderProgress {
  uidValidity: string;
  /** Every message up to this UID is stored, a duplicate, or listed as failed. */
  lastUid: number;
}

/** An APPEND that was about to be sent: found at the destination on restart, or sent again. */
export interface Intent {
  folder: string;
  uidValidity: string;
  uid: number;
  destination: string;
  identity: MessageIdentity;
}

/**
 * A message this job put at the destination (stored, or found there already), as the flag
 * sync of a later run needs it: its flags as copied (sorted, space-separated, without
 * \Recent) and the keys that find it at an IMAP destination.
 */
export interface CopiedMessage {
  uid: number;
  flags: string;
  messageIdKey: string | undefined;
  headerDigest: string;
}

/** How a requeued intent is listed among the failed messages (requeueIntent). */
export const REQUEUED: Omit<FailedMessage, 'uid'> = {
  code: 'CONNECTION_LOST',
  message:
    'The run stopped before this message was confirmed at the destination; it is copied again.',
};

/**
 * How a streamed message is listed when the source answered part of it without its bytes
 * (streamed-source.ts): read whole from then on, so that it can fail alone instead of failing
 * its mailbox at every attempt.
 */
/**
 * How a message the pipe left to be read whole is listed until it is (piped-batch.ts): the
 * messages after it may settle first, and a crash between cannot leave it behind the checkpoint.
 */
export const READ_AFTER: Omit<FailedMessage, 'uid'> = {
  code: 'CONNECTION_LOST',
  message: 'The run stopped before this message was copied; it is copied again.',
};

export const READ_WHOLE: Omit<FailedMessage, 'uid'> = {
  code: 'MESSAGE_UNAVAILABLE',
  message:
    'The source did not give part of this message while it was streamed; it is read whole next time.',
};

/**
 * How a message is listed once its reading dropped the source's connection every time it was
 * tried (read-faults.ts): read alone, after the rest, next run.
 */
export const DROPPED: Omit<FailedMessage, 'uid'> = {
  code: 'MESSAGE_UNAVAILABLE',
  message:
    'The connection to the source dropped each time this message was read; it is read again, alone, next run.',
};

export interface JobState {
  progress(folder: string): Awaitable<FolderProgress | undefined>;
  /** Where this job put the folder before, so a renamed mapping does not split it. */
  destinationOf(folder: string): Awaitable<string | undefined>;
  recordDestination(folder: string, destination: string): Awaitable<void>;
  /** A folder seen first, or renumbered (UIDVALIDITY changed): everything about it starts over. */
  resetFolder(folder: string, uidValidity: string): Awaitable<void>;
  failed(folder: string, uidValidity: string): Awaitable<FailedMessage[]>;
  intents(folder: string, uidValidity: string): Awaitable<Intent[]>;
  pendingActions(folder: string, uidValidity: string): Awaitable<number[]>;
  /** Writes down APPENDs about to be sent; durable when it resolves. */
  beginIntents(intents: readonly Intent[]): Awaitable<void>;
  /**
   * An intent not found at the destination: listed to be copied again (as `failure`, REQUEUED
   * unless given), its intent dropped.
   */
  requeueIntent(
    folder: string,
    uidValidity: string,
    uid: number,
    failure?: Omit<FailedMessage, 'uid'>,
  ): Awaitable<void>;
  /** One message is safely at the destination (found after a crash). */
  complete(folder: string, uidValidity: string, uid: number, postAction: boolean): Awaitable<void>;
  /** One step: messages at the destination and messages refused; both advance the checkpoint. */
  settle(
    folder: string,
    uidValidity: string,
    ok: readonly number[],
    failed: readonly FailedMessage[],
    postAction: boolean,
  ): Awaitable<void>;
  /** Messages that failed before their turn to settle; the checkpoint does not move. */
  listFailed(
    folder: string,
    uidValidity: string,
    failed: readonly FailedMessage[],
  ): Awaitable<void>;
  /** Failed messages that are gone from the source. */
  forgetFailed(folder: string, uidValidity: string, uids: readonly number[]): Awaitable<void>;
  /** Post-read actions done (or their messages gone from the source). */
  clearActions(folder: string, uidValidity: string, uids: readonly number[]): Awaitable<void>;
  /** Writes down messages now at the destination, with their flags as copied (flag sync). */
  recordCopied(
    folder: string,
    uidValidity: string,
    copies: readonly CopiedMessage[],
  ): Awaitable<void>;
  /** The copied messages among `uids` (all of the folder's when undefined). */
  copiedMessages(
    folder: string,
    uidValidity: string,
    uids?: readonly number[],
  ): Awaitable<CopiedMessage[]>;
  /**
   * The copied messages of the job's other source folders that go into `destination` (folders
   * mapped into one): a copy there may stand for their messages too (mirrorDeletions).
   */
  copiedInto(destination: string, exceptFolder: string): Awaitable<CopiedMessage[]>;
  /** Forgets copied messages (deleted at the source, their copies removed: mirrorDeletions). */
  forgetCopied(folder: string, uidValidity: string, uids: readonly number[]): Awaitable<void>;
  /** The source's HIGHESTMODSEQ when flags were last synced, when the source keeps MODSEQs. */
  flagMark(folder: string, uidValidity: string): Awaitable<string | undefined>;
  setFlagMark(folder: string, uidValidity: string, modseq: string): Awaitable<void>;
  /** Whether a replace import emptied this job's destination folders already. */
  replaced(): Awaitable<boolean>;
  /**
   * Whether a run of this job dealt with any message already: replace mode then empties
   * nothing, since what that run copied may be gone from the source (a post-read move or delete).
   */
  ranBefore(): Awaitable<boolean>;
  /**
   * The destination folders are empty now: one change forgets every folder's progress (its
   * messages are gone from the destination, so all are copied again) and notes the job as
   * replaced, so a run after a crash never empties them a second time.
   */
  markReplaced(): Awaitable<void>;
}
