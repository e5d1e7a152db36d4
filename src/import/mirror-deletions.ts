/**
 * Deletions mirrored, opted in (`mirrorDeletions`, like imapsync's --delete2; issue 29, item
 * 3): a message this job copied that is gone from the source folder since (expunged, or moved
 * to another folder) has its copy removed from the destination on the next run. Only
 * messages the state lists as copied by this job are candidates, so mail that reached the
 * destination any other way is never touched; what is at the source is asked with one UID
 * SEARCH of the UIDs up to the checkpoint, whatever the job's query.
 *
 * One copy may stand for more than one source message: the source held the message twice
 * (the second found as a duplicate of the first), or two source folders go into one
 * destination folder. Such a copy stays while any of them is still listed, since the state
 * counts the others as done and no later run would copy them again.
 */
import { uidsUpTo } from '../imap/uid-search.js';
import type { FolderRun } from './folder-run.js';
import type { CopiedMessage } from './job-state.js';

/** The key a copy is found by at the destination (sinks/imap-copies.ts locate). */
const keyOf = (copy: CopiedMessage): string =>
  copy.messageIdKey !== undefined ? `id ${copy.messageIdKey}` : `digest ${copy.headerDigest}`;

export async function mirrorDeletions(run: FolderRun): Promise<void> {
  if (!run.job.mirrorDeletions) return;
  const { session, state, sink } = run.job;
  const { path, uidValidity } = run;
  const lastUid = (await state.progress(path))?.lastUid ?? 0;
  if (lastUid === 0) return;
  const present = new Set(await uidsUpTo(session, [], lastUid));
  const copied = await state.copiedMessages(path, uidValidity);
  const gone = copied.filter((c) => !present.has(c.uid));
  if (gone.length === 0) return;
  const stillStoodFor = new Set(
    [
      ...copied.filter((c) => present.has(c.uid)),
      ...(await state.copiedInto(sink.destination, path)),
    ].map(keyOf),
  );
  const removable = gone.filter((c) => !stillStoodFor.has(keyOf(c)));
  const outcome =
    removable.length > 0
      ? await sink.removeCopies(
          removable.map((c) => ({
            uidValidity,
            uid: c.uid,
            messageIdKey: c.messageIdKey,
            headerDigest: c.headerDigest,
          })),
        )
      : undefined;
  // Forgotten also when not found, or kept for another: the state lists what stands for it.
  await state.forgetCopied(
    path,
    uidValidity,
    gone.map((c) => c.uid),
  );
  if (!outcome) return;
  if (outcome.removed > 0) run.result.deletionsMirrored = outcome.removed;
  if (!outcome.expunged) run.result.deletionsOnlyMarked = true;
}
