/**
 * Deletions mirrored, opted in (`mirrorDeletions`, like imapsync's --delete2; issue 29, item
 * 3): a message this job copied that is gone from the source folder since (expunged, or moved
 * to another folder) has its copy removed from the destination on the next run. Only
 * messages the state lists as copied by this job are candidates, so mail that reached the
 * destination any other way is never touched; what is at the source is asked with one UID
 * SEARCH of the UIDs up to the checkpoint, whatever the job's query.
 */
import { uidsUpTo } from '../imap/uid-search.js';
import type { FolderRun } from './folder-run.js';

export async function mirrorDeletions(run: FolderRun): Promise<void> {
  if (!run.job.mirrorDeletions) return;
  const { session, state, sink } = run.job;
  const { path, uidValidity } = run;
  const lastUid = (await state.progress(path))?.lastUid ?? 0;
  if (lastUid === 0) return;
  const present = new Set(await uidsUpTo(session, [], lastUid));
  const gone = (await state.copiedMessages(path, uidValidity)).filter((c) => !present.has(c.uid));
  if (gone.length === 0) return;
  const outcome = await sink.removeCopies(
    gone.map((c) => ({
      uidValidity,
      uid: c.uid,
      messageIdKey: c.messageIdKey,
      headerDigest: c.headerDigest,
    })),
  );
  // Forgotten also when not found: a copy gone from the destination too needs nothing more.
  await state.forgetCopied(
    path,
    uidValidity,
    gone.map((c) => c.uid),
  );
  if (outcome.removed > 0) run.result.deletionsMirrored = outcome.removed;
  if (!outcome.expunged) run.result.deletionsOnlyMarked = true;
}
