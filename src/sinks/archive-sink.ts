import type { FolderInfo } from '../folder-info.js';
import { mapFolder, type FolderMapOptions } from '../write/map-folder.js';
import type { DedupeMode, MessageIdentity } from '../write/message-identity.js';
import { compressSource, type Archive } from './archive-db.js';
import type { FolderSink, Sink, SourceMessage, StoreResult } from './sink.js';

/**
 * The embedded archive as an import destination. Folders keep the source's names (and
 * delimiter) unless mapped; dedupe looks in the same account and folder of the archive.
 */
export class ArchiveSink implements Sink {
  readonly keepsRows = true;
  readonly kind = 'archive' as const;

  constructor(private readonly archive: Archive, private readonly account: string, private readonly mode: DedupeMode, private readonly mapping: FolderMapOptions) {}

  async openFolder(source: FolderInfo): Promise<FolderSink> {
    const destination = mapFolder({ ...source, specialUse: null }, { delimiter: source.delimiter, folders: [] }, this.mapping);
    const { archive, account, mode } = this;
    const holds = (identity: MessageIdentity, by: DedupeMode): boolean =>
      by === 'message-id' && identity.messageIdKey !== undefined ? archive.hasMessageIdKey(account, destination, identity.messageIdKey) : archive.hasContentHash(account, destination, identity.contentHash);
    // Compression runs on libuv's thread pool, for a whole batch at once, while this thread
    // writes to SQLite; each result is taken by store() and dropped.
    const compressing = new WeakMap<SourceMessage, Promise<Buffer>>();
    return {
      destination,
      needsIntent: false,
      prepare: (messages) => {
        for (const message of messages) {
          const pending = compressSource(message.raw);
          pending.catch(() => undefined); // store() reports it, if it is still wanted
          compressing.set(message, pending);
        }
      },
      contains: async (identities) => identities.map((identity) => mode !== 'none' && holds(identity, mode)),
      confirm: async (identity) => holds(identity, 'hash'),
      storeMany: async (messages: readonly SourceMessage[]): Promise<StoreResult> => {
        const outcomes: undefined[] = [];
        for (const message of messages) {
          const compressed = await compressing.get(message);
          compressing.delete(message);
          archive.store(
            {
              account,
              folder: destination,
              uidValidity: message.uidValidity,
              uid: message.uid,
              identity: message.identity,
              raw: message.raw,
              flags: message.flags,
              internalDate: message.internalDate?.toISOString(),
              row: message.row,
            },
            compressed,
          );
          outcomes.push(undefined);
        }
        return { outcomes, fatal: undefined };
      },
    };
  }

  async close(): Promise<void> {
    // The archive is owned by whoever opened it.
  }
}
