import type { FolderInfo } from '../folder-info.js';
import type { MessageIdentity } from '../write/message-identity.js';

/** One source message on its way to a destination. */
export interface SourceMessage {
  account: string;
  folder: string;
  uidValidity: string;
  uid: number;
  raw: Buffer;
  flags: readonly string[];
  internalDate: Date | undefined;
  identity: MessageIdentity;
  /** The message's row (envelope level), for destinations that keep one. */
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
  /** Stores one message; resolves once it is durable at the destination. */
  store(message: SourceMessage): Promise<void>;
}

/** Where an import puts mail: an IMAP target or the embedded archive. */
export interface Sink {
  readonly kind: 'imap' | 'archive';
  /** Opens (creating if needed) the destination folder for a source folder, with its dedupe index. */
  openFolder(source: FolderInfo): Promise<FolderSink>;
  close(): Promise<void>;
}
