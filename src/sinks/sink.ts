import type { ConnectorError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import type { MessageBytes } from '../imap/streamed-body.js';
import type { Session } from '../imap/open-session.js';
import type { NamedPipeResult, Pipe, PipedMessage } from '../imap/pipe-appends.js';
import type { MessageIdentity } from '../write/message-identity.js';

/** One source message on its way to a destination. */
export interface SourceMessage {
  account: string;
  folder: string;
  uidValidity: string;
  uid: number;
  /** Its exact bytes; streamed only to a destination that declares streamsLargeSources. */
  raw: MessageBytes;
  flags: readonly string[];
  internalDate: Date | undefined;
  identity: MessageIdentity;
  /** The message's row (envelope level), only for destinations that keep one (keepsRows). */
  row: unknown;
}

/** One destination folder, opened for a source folder. */
export interface FolderSink {
  /** Where the messages go, as the destination names it. */
  readonly destination: string;
  /** Whether the destination needs an intent written before store() (a store that is not atomic with the job state). */
  readonly needsIntent: boolean;
  /** For each message, whether the destination already holds it (per the dedupe mode). */
  contains(identities: readonly MessageIdentity[]): Promise<boolean[]>;
  /** Whether a message whose store() may or may not have finished (a crash) is there, whatever the dedupe mode. */
  confirm(identity: MessageIdentity): Promise<boolean>;
  /** Optional: the messages of a batch about to be stored, to start slow work (compression) on all of them at once. */
  prepare?(messages: readonly SourceMessage[]): void;
  /**
   * Optional: the sources of the batch after this one, as soon as it is read, so slow work
   * (compression) goes on across batches. Which of them are stored is still prepare()'s.
   */
  expect?(sources: readonly Buffer[]): void;
  /**
   * Stores messages in order; resolves once those stored are durable at the destination. A
   * message refused on its own merits gets its error and the rest go on; a fatal error (the
   * connection, the quota) ends the list: outcomes then stop short and `fatal` says why.
   */
  storeMany(messages: readonly SourceMessage[]): Promise<StoreResult>;
  /**
   * Optional: the destination folder's PERMANENTFLAGS (undefined: it keeps every flag), once
   * the messages stored are answered. A destination that keeps every flag has none.
   */
  keptFlags?(): Promise<ReadonlySet<string> | undefined>;
  /** Carries flag changes of messages copied earlier to the destination (issue 29). */
  syncFlags(changes: readonly FlagChange[]): Promise<FlagSyncResult>;
  /** Removes copies of messages deleted at the source (mirrorDeletions, opt-in). */
  removeCopies(gone: readonly GoneCopy[]): Promise<RemoveCopiesResult>;
  /**
   * Whether storeMany() may be called again before the previous call resolved: the calls are
   * then stored and answered in order (an IMAP target pipelines its APPENDs).
   */
  readonly overlaps?: boolean;
  /**
   * Whether a message this destination recognises by its Message-ID key may come without its
   * content hash (dedupe by Message-ID): true where a look-alike without a Message-ID can be
   * compared by the body at the destination instead (an IMAP target that answers APPENDUID).
   */
  readonly contentHashOptionalWithId?: boolean;
  /**
   * Whether the destination is done with a message's bytes once storeMany() resolved: it keeps,
   * copies or sends nothing of them later. Only then may a batch's sources live in memory that
   * the next batch reuses (imap/literal-arena.ts).
   */
  readonly releasesSources?: boolean;
  /**
   * Whether a message larger than a read batch may come as a StreamedBody: the destination
   * writes it a chunk at a time as the source gives it, and never holds it whole.
   */
  readonly streamsLargeSources?: boolean;
  /**
   * Optional: copies messages straight from the source session's selected folder, each body
   * written on as it arrives (imap/pipe-appends.ts); their intents are written before. It
   * resolves once the source is free; the destination's answers may come later, and the next
   * pipe or read of the destination waits for them. What is neither stored nor refused was not
   * sent; a fatal error is named for its side (the destination's carries side:
   * 'destination'). Only where the destination can (an IMAP target with pipelined
   * MULTIAPPEND).
   */
  readonly pipe?:
    | ((
        source: Session,
        messages: readonly (PipedMessage & { identity: MessageIdentity })[],
      ) => Promise<Pipe<NamedPipeResult>>)
    | undefined;
  /** With pipe: resolves once every pipe is answered and the destination's connection is free. */
  readonly pipesSettled?: (() => Promise<void>) | undefined;
  /** Optional: source bytes one read batch may hold for this destination (IMPORT_BATCH_BYTES when absent). */
  readonly batchBytes?: number;
}

/** A copied message whose flags changed at the source since it was copied (or last synced). */
export interface FlagChange {
  /** The source message: its UIDVALIDITY and UID (the archive's key). */
  uidValidity: string;
  uid: number;
  /** Its flags at the source now, without \Recent, sorted. */
  flags: readonly string[];
  add: readonly string[];
  remove: readonly string[];
  /** How an IMAP destination finds it (the dedupe keys it was copied with). */
  messageIdKey: string | undefined;
  headerDigest: string;
}

export interface FlagSyncResult {
  /** Messages whose flags were set at the destination. */
  updated: number;
  /** Messages the destination no longer holds (or holds more than one like it): left as they are. */
  unmatched: number;
  /** Flags the destination folder cannot keep (PERMANENTFLAGS), left out: messages per flag. */
  leftOut: ReadonlyMap<string, number>;
}

/** A copied message gone from the source (expunged or moved away), to remove at the destination. */
export type GoneCopy = Pick<FlagChange, 'uidValidity' | 'uid' | 'messageIdKey' | 'headerDigest'>;

export interface RemoveCopiesResult {
  /** Messages removed (or, without UIDPLUS, marked \Deleted: see `expunged`). */
  removed: number;
  /** Gone already, or not found alone by its keys: left as they are. */
  unmatched: number;
  /** false when the destination could only mark them \Deleted (no UID EXPUNGE). */
  expunged: boolean;
}

export interface StoreResult {
  /** One per message tried, in order: undefined when stored, else why that message was refused. */
  outcomes: (ConnectorError | undefined)[];
  fatal: ConnectorError | undefined;
}

/** Where an import puts mail: an IMAP target or the embedded archive. */
export interface Sink {
  readonly kind: 'imap' | 'archive';
  /** Whether store() keeps the message's row: only then does the source FETCH ENVELOPE and BODYSTRUCTURE. */
  readonly keepsRows: boolean;
  /** Opens (creating if needed) the destination folder for a source folder, with its dedupe index. */
  /** `recorded`: where this job put the folder before; used as it is when given. */
  openFolder(source: FolderInfo, recorded?: string): Promise<FolderSink>;
  /** Replace mode (IMAP only): empties the folder a source folder goes to; how many it held. */
  empty?(source: FolderInfo, recorded?: string): Promise<{ destination: string; removed: number }>;
  /** IMAP only: the folder a source folder goes to, created or not (nothing is changed). */
  placeOf?(source: FolderInfo, recorded?: string): Promise<string>;
  /** IMAP only: the destination's INBOX status (is it the source's own mailbox?). */
  inboxFingerprint?(): Promise<string>;
  close(): Promise<void>;
}
