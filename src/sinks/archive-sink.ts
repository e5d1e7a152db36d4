import type { FolderInfo } from '../folder-info.js';
import { mapFolder, type FolderMapOptions } from '../write/map-folder.js';
import type { DedupeMode, MessageIdentity } from '../write/message-identity.js';
import type { Archive } from './archive-db.js';
import type { FolderSink, Sink, SourceMessage } from './sink.js';

/**
 * The embedded archive as an import destination. Folders keep the source's names (and
 * delimiter) unless mapped; dedupe looks in the same account and folder of the archive.
 */
export class ArchiveSink implements Sink {
  readonly kind = 'archive' as const;

  constructor(private readonly archive: Archive, private readonly account: string, private readonly mode: DedupeMode, private readonly mapping: FolderMapOptions) {}

  async openFolder(source: FolderInfo): Promise<FolderSink> {
    const destination = mapFolder({ ...source, specialUse: null }, { delimiter: source.delimiter, folders: [] }, this.mapping);
    const { archive, account, mode } = this;
    const holds = (identity: MessageIdentity, by: DedupeMode): boolean =>
      by === 'message-id' && identity.messageIdKey !== undefined ? archive.hasMessageIdKey(account, destination, identity.messageIdKey) : archive.hasContentHash(account, destination, identity.contentHash);
    return {
      destination,
      needsIntent: false,
      contains: async (identities) => identities.map((identity) => mode !== 'none' && holds(identity, mode)),
      confirm: async (identity) => holds(identity, 'hash'),
      store: async (message: SourceMessage) => {
        archive.store({
          account,
          folder: destination,
          uidValidity: message.uidValidity,
          uid: message.uid,
          identity: message.identity,
          raw: message.raw,
          flags: message.flags,
          internalDate: message.internalDate?.toISOString(),
          row: message.row,
        });
      },
    };
  }

  async close(): Promise<void> {
    // The archive is owned by whoever opened it.
  }
}
