import { makeError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import { mapFolder, type FolderMapOptions } from '../write/map-folder.js';
import {
  byMessageIdKey,
  type DedupeMode,
  type MessageIdentity,
} from '../write/message-identity.js';
import { compressSource } from './archive-blob.js';
import type { Archive } from './archive-db.js';
import type { FolderSink, Sink, SourceMessage, StoreResult } from './sink.js';

// Enough to keep libuv's four threads busy while SQLite writes; bounds the memory of a batch.
const COMPRESS_AHEAD = 8;

/**
 * The embedded archive as an import destination. Folders keep the source's names (and
 * delimiter) unless mapped; dedupe looks in the same account and folder of the archive.
 */
export class ArchiveSink implements Sink {
  readonly keepsRows = true;
  readonly kind = 'archive' as const;

  constructor(
    private readonly archive: Archive,
    private readonly account: string,
    private readonly mode: DedupeMode,
    private readonly mapping: FolderMapOptions,
  ) {}

  async openFolder(source: FolderInfo, recorded?: string): Promise<FolderSink> {
    const destination =
      recorded ??
      mapFolder(
        { ...source, specialUse: null },
        { delimiter: source.delimiter, folders: [] },
        this.mapping,
      );
    const { archive, account, mode } = this;
    const holds = (identity: MessageIdentity, by: DedupeMode): boolean =>
      byMessageIdKey(identity, by)
        ? archive.hasMessageIdKey(account, destination, identity.messageIdKey)
        : archive.hasContentHash(account, destination, identity.contentHash);
    // Compression runs on libuv's thread pool a few messages ahead of the one being written to
    // SQLite: both cores busy, and at most AHEAD compressed copies in memory at a time.
    const compressing = new Map<SourceMessage, Promise<Buffer>>();
    let upcoming: readonly SourceMessage[] = [];
    const startAhead = (from: number): void => {
      for (const message of upcoming.slice(from, from + COMPRESS_AHEAD)) {
        if (compressing.has(message)) continue;
        const pending = compressSource(message.raw);
        pending.catch(() => undefined); // store reports it, if it is still wanted
        compressing.set(message, pending);
      }
    };
    return {
      destination,
      needsIntent: false,
      prepare: (messages) => {
        compressing.clear();
        upcoming = messages;
        startAhead(0);
      },
      contains: async (identities) =>
        identities.map((identity) => mode !== 'none' && holds(identity, mode)),
      confirm: async (identity) => holds(identity, 'hash'),
      syncFlags: async (changes) => {
        let updated = 0;
        for (const change of changes)
          if (
            archive.updateFlags(account, destination, change.uidValidity, change.uid, change.flags)
          )
            updated++;
        return { updated, unmatched: changes.length - updated };
      },
      removeCopies: async (gone) => {
        let removed = 0;
        for (const copy of gone)
          if (archive.removeMessage(account, destination, copy.uidValidity, copy.uid)) removed++;
        return { removed, unmatched: gone.length - removed, expunged: true };
      },
      storeMany: async (messages: readonly SourceMessage[]): Promise<StoreResult> => {
        const outcomes: undefined[] = [];
        for (const message of messages) {
          startAhead(upcoming.indexOf(message) + 1);
          try {
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
          } catch (error) {
            // SQLite said no (disk full, read-only, busy): nothing of this message was kept.
            return {
              outcomes,
              fatal: makeError(
                'ARCHIVE_WRITE_FAILED',
                `The archive ${JSON.stringify(archive.path)} could not be written: ${(error as Error).message}.`,
                { details: { path: archive.path }, cause: error },
              ),
            };
          }
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
