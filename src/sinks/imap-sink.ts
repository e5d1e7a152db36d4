import type { FolderInfo } from '../folder-info.js';
import { inboxFingerprint } from '../imap/inbox-fingerprint.js';
import { listFolders } from '../imap/list-folders.js';
import type { Session } from '../imap/open-session.js';
import { permanentFlagsOfFolder } from '../imap/permanent-flags.js';
import { PipedAppends } from '../imap/pipe-appends.js';
import { AppendPipeline } from '../imap/append-pipeline.js';
import { canPipelineAppends } from '../imap/append-stream.js';
import { removeImapCopies, syncImapFlags } from './imap-copies.js';
import { emptyFolder } from '../imap/empty-folder.js';
import { ensureFolder } from '../imap/ensure-folder.js';
import type { DedupeIndex } from '../write/dedupe-index.js';
import { inPersonalNamespace, sameFolder } from '../imap/mailbox-name.js';
import { mapFolder, type FolderMapOptions } from '../write/map-folder.js';
import type { DedupeMode, MessageIdentity } from '../write/message-identity.js';
import { buildTargetFolderIndex } from '../write/target-folder-index.js';
import type { FolderSink, Sink, SourceMessage, StoreResult } from './sink.js';

/** Errors of the target session as ConnectorErrors that say they came from the destination. */
async function onTarget<T>(session: Session, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw session.asError(error).withDetails({ side: 'destination' });
  }
}

/** The hierarchy delimiter most of the target's folders use (servers have one per namespace). */
export function targetDelimiter(folders: readonly FolderInfo[]): string {
  const counts = new Map<string, number>();
  for (const folder of folders)
    if (folder.delimiter) counts.set(folder.delimiter, (counts.get(folder.delimiter) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '/';
}

/**
 * An IMAP account as an import destination: folders mapped (special use, prefix, mapping
 * table) and created when missing, each indexed once for dedupe, messages APPENDed with
 * their flags and internal dates.
 */
export class ImapSink implements Sink {
  readonly keepsRows = false;
  readonly kind = 'imap' as const;
  private folders: FolderInfo[] | undefined;

  constructor(
    private readonly session: Session,
    private readonly mode: DedupeMode,
    private readonly mapping: FolderMapOptions,
  ) {}

  openFolder(source: FolderInfo, recorded?: string): Promise<FolderSink> {
    return onTarget(this.session, () => this.open(source, recorded));
  }

  /** Where a source folder's mail goes (recorded, else mapped), and whether it exists yet. */
  private async place(
    source: FolderInfo,
    recorded: string | undefined,
  ): Promise<{ destination: string; exists: boolean; folders: FolderInfo[] }> {
    this.folders ??= await listFolders(this.session);
    const folders = this.folders;
    const destination = inPersonalNamespace(
      recorded ?? mapFolder(source, { delimiter: targetDelimiter(folders), folders }, this.mapping),
      this.session.client.namespace?.prefix,
    );
    return { destination, exists: folders.some((f) => sameFolder(f.path, destination)), folders };
  }

  placeOf(source: FolderInfo, recorded?: string): Promise<string> {
    return onTarget(this.session, async () => (await this.place(source, recorded)).destination);
  }

  inboxFingerprint(): Promise<string> {
    return onTarget(this.session, () => inboxFingerprint(this.session));
  }

  /** Replace mode: removes what the folder a source folder would go to holds; how many. */
  empty(source: FolderInfo, recorded?: string): Promise<{ destination: string; removed: number }> {
    return onTarget(this.session, async () => {
      const { destination, exists } = await this.place(source, recorded);
      return { destination, removed: exists ? await emptyFolder(this.session, destination) : 0 };
    });
  }

  private async open(source: FolderInfo, recorded: string | undefined): Promise<FolderSink> {
    const { session, mode } = this;
    const { destination, exists, folders } = await this.place(source, recorded);
    if (!exists) {
      await ensureFolder(session, destination);
      folders.push({
        path: destination,
        name: destination,
        delimiter: targetDelimiter(folders),
        specialUse: null,
        specialUseFromServer: false,
        flags: [],
        subscribed: false,
      });
    }
    // Built on first use, one per dedupe mode asked: a folder with nothing new (every folder of
    // a quiet incremental run) costs no FETCH of the target at all. Besides the run's own mode,
    // an intent a crash left is looked up by content, or by its Message-ID key when the run that
    // wrote it hashed no further.
    const indexes = new Map<DedupeMode, DedupeIndex>();
    const indexFor = async (by: DedupeMode): Promise<DedupeIndex> => {
      let index = indexes.get(by);
      if (!index) {
        index = await buildTargetFolderIndex(session, destination, by, exists, settled);
        indexes.set(by, index);
      }
      return index;
    };
    // A message now stored, in every index built so far.
    const remember = (identity: MessageIdentity, uid: number | undefined): void => {
      for (const index of indexes.values()) index.add(identity, uid);
    };
    const appends = new AppendPipeline(session, destination);
    const pipes = new PipedAppends(session, destination);
    // A step of the batch before may still be in flight (storeBatch's carry), or a pipe's last
    // commands: the target is used otherwise only once imapflow has its socket back.
    const settled = async (): Promise<void> => {
      await pipes.settled();
      await appends.settled();
    };
    return {
      destination,
      needsIntent: true,
      overlaps: true,
      // Each APPEND's bytes are on the wire once the server answered it; nothing is kept.
      releasesSources: true,
      // Only pipelined APPENDs stream: imapflow's append() takes a message whole.
      streamsLargeSources: canPipelineAppends(session),
      // APPENDUID gives each stored message's UID, so its body can be read back should a
      // look-alike without a Message-ID come later in the run.
      contentHashOptionalWithId: session.client.capabilities.has('UIDPLUS'),
      contains: (identities) =>
        onTarget(session, async () => (await indexFor(mode)).contains(identities)),
      confirm: (identity: MessageIdentity) =>
        onTarget(session, async () => {
          const by = identity.contentHash === undefined ? 'message-id' : 'hash';
          return (await (await indexFor(by)).contains([identity]))[0] === true;
        }),
      keptFlags: () =>
        onTarget(session, async () => {
          await settled();
          return permanentFlagsOfFolder(session, destination);
        }),
      syncFlags: (changes) =>
        onTarget(session, async () => {
          await settled();
          return syncImapFlags(session, destination, changes);
        }),
      removeCopies: (gone) =>
        onTarget(session, async () => {
          await settled();
          return removeImapCopies(session, destination, gone);
        }),
      pipe: canPipelineAppends(session)
        ? async (source, messages) => {
            // The pipes keep the target's socket leased: no other APPEND may be in flight.
            await appends.settled();
            const pipe = await onTarget(session, () => pipes.pipe(source, messages));
            const answered = pipe.answered.then((result) => {
              for (const message of messages)
                if (result.stored.has(message.uid))
                  remember(message.identity, result.stored.get(message.uid));
              const { fatal, ...done } = result;
              if (!fatal) return done;
              const error = fatal.atSource
                ? source.asError(fatal.error)
                : session.asError(fatal.error).withDetails({ side: 'destination' });
              return { ...done, fatal: { ...fatal, error } };
            });
            return { stopped: pipe.stopped, answered };
          }
        : undefined,
      pipesSettled: () => pipes.settled(),
      storeMany: async (messages: readonly SourceMessage[]): Promise<StoreResult> => {
        await pipes.settled();
        const result = await appends.send(
          messages.map((message) => ({
            raw: message.raw,
            flags: message.flags,
            internalDate: message.internalDate,
          })),
        );
        result.outcomes.forEach((outcome, i) => {
          if (!outcome.stored) return;
          remember(messages[i]!.identity, outcome.uid);
        });
        const fatal = result.fatalAtSource
          ? result.fatal
          : result.fatal?.withDetails({ side: 'destination' });
        return {
          outcomes: result.outcomes.map((outcome) => (outcome.stored ? undefined : outcome.error)),
          fatal,
        };
      },
    };
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
