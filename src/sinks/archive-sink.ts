import { heldBytes } from '../imap/streamed-body.js';
import { makeError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import { mapFolder, type FolderMapOptions } from '../write/map-folder.js';
import {
  byMessageIdKey,
  contentHashIn,
  type DedupeMode,
  type MessageIdentity,
} from '../write/message-identity.js';
import type { Archive, ArchiveEntry } from './archive-db.js';
import type { FolderSink, Sink, SourceMessage, StoreResult } from './sink.js';
import { PackAhead } from './pack-ahead.js';
import { ValidityOwners } from './archive-validity.js';
import { SourcePacker } from './source-packer.js';

/**
 * Source bytes per read batch into the archive: 16 MB, as before the import's default fell to
 * 4 MB. With 4 MB batches the archive import measured 4-8% slower (both bench mailboxes).
 */
const ARCHIVE_BATCH_BYTES = 16 * 1024 * 1024;

/**
 * The embedded archive as an import destination. Folders keep the source's names (and
 * delimiter) unless mapped; dedupe looks in the same account and folder of the archive.
 * `source` names the mailbox archived (`user@host`): another one archived into the same
 * account with the same UIDVALIDITY is stored under its own keys (archive-validity.ts).
 */
export class ArchiveSink implements Sink {
  readonly keepsRows = true;
  readonly kind = 'archive' as const;
  private packer: SourcePacker | undefined;
  private readonly owners: ValidityOwners;

  constructor(
    private readonly archive: Archive,
    private readonly account: string,
    private readonly mode: DedupeMode,
    private readonly mapping: FolderMapOptions,
    source: string,
  ) {
    this.owners = new ValidityOwners(archive.db, source);
  }

  async openFolder(source: FolderInfo, recorded?: string): Promise<FolderSink> {
    const destination =
      recorded ??
      mapFolder(
        { ...source, specialUse: null },
        { delimiter: source.delimiter, folders: [] },
        this.mapping,
      );
    const { archive, account, mode, owners } = this;
    const stored = (uidValidity: string): string =>
      owners.stored(account, destination, uidValidity);
    const holds = (identity: MessageIdentity, by: DedupeMode): boolean =>
      byMessageIdKey(identity, by)
        ? archive.hasMessageIdKey(account, destination, identity.messageIdKey)
        : archive.hasContentHash(account, destination, contentHashIn(identity));
    const ahead = new PackAhead((this.packer ??= new SourcePacker()));
    return {
      destination,
      needsIntent: false,
      batchBytes: ARCHIVE_BATCH_BYTES,
      prepare: (messages) => ahead.prepare(messages.map((message) => heldBytes(message.raw))),
      expect: (sources) => ahead.expect(sources),
      contains: async (identities) =>
        identities.map((identity) => mode !== 'none' && holds(identity, mode)),
      confirm: async (identity) => holds(identity, 'hash'),
      syncFlags: async (changes) => {
        let updated = 0;
        for (const change of changes)
          if (
            archive.updateFlags(
              account,
              destination,
              stored(change.uidValidity),
              change.uid,
              change.flags,
            )
          )
            updated++;
        // The archive keeps every flag.
        return { updated, unmatched: changes.length - updated, leftOut: new Map() };
      },
      removeCopies: async (gone) => {
        let removed = 0;
        for (const copy of gone)
          if (
            archive.removeMessage(
              account,
              destination,
              stored(copy.uidValidity),
              copy.uid,
              copy.messageIdKey,
            )
          )
            removed++;
        return { removed, unmatched: gone.length - removed, expunged: true };
      },
      storeMany: async (messages: readonly SourceMessage[]): Promise<StoreResult> => {
        const items = [];
        for (const message of messages) {
          const raw = heldBytes(message.raw);
          const entry: ArchiveEntry = {
            account,
            folder: destination,
            uidValidity: stored(message.uidValidity),
            uid: message.uid,
            identity: message.identity,
            raw,
            flags: message.flags,
            internalDate: message.internalDate?.toISOString(),
            row: message.row,
          };
          items.push({ entry, packed: await ahead.packed(raw) });
        }
        try {
          archive.storeAll(items);
        } catch (error) {
          // SQLite said no (disk full, read-only, busy): the step's transaction kept nothing.
          return {
            outcomes: [],
            fatal: makeError(
              'ARCHIVE_WRITE_FAILED',
              `The archive ${JSON.stringify(archive.path)} could not be written: ${(error as Error).message}.`,
              { details: { path: archive.path }, cause: error },
            ),
          };
        }
        return { outcomes: messages.map(() => undefined), fatal: undefined };
      },
    };
  }

  async close(): Promise<void> {
    // The archive is owned by whoever opened it; the packer is ours.
    await this.packer?.close();
    this.packer = undefined;
  }
}
