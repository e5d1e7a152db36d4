/**
 * Flags kept in sync by reruns (issue 29, item 3): messages this job copied earlier whose flags
 * changed at the source since are given the change at the destination, as imapsync and mbsync
 * do by default. With CONDSTORE (RFC 7162) only the messages changed since the last run's
 * HIGHESTMODSEQ are fetched (nothing at all when it has not moved); without it, every copied
 * message's flags are fetched and compared with those the state kept. Only the difference is
 * sent (+FLAGS / -FLAGS), so flags set at the destination meanwhile stay.
 */
import { fetchFlags } from '../imap/fetch-flags.js';
import type { Session } from '../imap/open-session.js';
import { reconnectable } from '../imap/reconnect.js';
import { highestModseqOf } from '../read/change-scan.js';
import { rowFlags } from '../rows/message-to-row.js';
import type { FlagChange } from '../sinks/sink.js';
import type { FolderRun } from './folder-run.js';
import type { CopiedMessage } from './job-state.js';
import { noteLeftOut } from './flags-left-out.js';
import { flagOfAction } from './post-read-action.js';

/** Flags as the state keeps them: a row's flags, space-separated. */
export function flagText(flags: Iterable<string>): string {
  return rowFlags(flags).join(' ');
}

const split = (text: string): string[] => (text === '' ? [] : text.split(' '));

/** Each message's flags at or below lastUid, of all or (with a MODSEQ) of those changed since. */
async function sourceFlags(
  session: Session,
  lastUid: number,
  changedSince: string | undefined,
): Promise<Map<number, string>> {
  const flags = await fetchFlags(session, `1:${lastUid}`, changedSince);
  return new Map(
    [...flags].filter(([uid]) => uid <= lastUid).map(([uid, list]) => [uid, flagText(list)]),
  );
}

/**
 * The source's flags `now`, but for the flag the job's post-read action sets (`own`): that one
 * as it was copied. The action marks every message it copied, so the mark says nothing of the
 * user's; carried over, a second run would mark every copy read (or tagged) at the destination.
 */
function withOwnMarkAsCopied(now: string, copied: string, own: string): string {
  const isOwn = (flag: string): boolean => flag.toLowerCase() === own.toLowerCase();
  return flagText([...split(now).filter((f) => !isOwn(f)), ...split(copied).filter(isOwn)]);
}

function changeOf(copied: CopiedMessage, now: string, uidValidity: string): FlagChange {
  const before = new Set(split(copied.flags));
  const after = split(now);
  return {
    uidValidity,
    uid: copied.uid,
    flags: after,
    add: after.filter((flag) => !before.has(flag)),
    remove: [...before].filter((flag) => !after.includes(flag)),
    messageIdKey: copied.messageIdKey,
    headerDigest: copied.headerDigest,
  };
}

/**
 * Carries the flag changes of the folder's copied messages to the destination, then keeps the
 * new flags and HIGHESTMODSEQ. Runs on the examined source folder before new mail is copied.
 * A refusal (a server that will not FETCH or STORE flags there) does not stop the copy: it is
 * in the result (`flagSyncError`) and tried again next run. A connection fault ends the run
 * as any other, to be reconnected.
 */
export async function syncFlags(run: FolderRun): Promise<void> {
  if (!run.job.syncFlags) return;
  try {
    await syncFolderFlags(run);
  } catch (error) {
    const named = run.job.session.asError(error);
    if (reconnectable(named) || named.code === 'ABORTED') throw named;
    run.result.flagSyncError = { code: named.code, message: named.message };
    run.job.session.logger.warn({ msg: 'flag sync skipped', folder: run.path, code: named.code });
  }
}

async function syncFolderFlags(run: FolderRun): Promise<void> {
  const { session, state, sink } = run.job;
  const { path, uidValidity } = run;
  // HIGHESTMODSEQ as examined: a change after it has a higher MODSEQ, seen by the next run.
  const modseq = highestModseqOf(session);
  const lastUid = (await state.progress(path))?.lastUid ?? 0;
  const mark = modseq === undefined ? undefined : await state.flagMark(path, uidValidity);
  if (lastUid > 0 && (mark === undefined || BigInt(modseq!) > BigInt(mark))) {
    const now = await sourceFlags(session, lastUid, mark);
    const copied = await state.copiedMessages(
      path,
      uidValidity,
      mark === undefined ? undefined : [...now.keys()],
    );
    const own = flagOfAction(run.job.postReadAction);
    const flagsOf = (c: CopiedMessage): string =>
      own === undefined ? now.get(c.uid)! : withOwnMarkAsCopied(now.get(c.uid)!, c.flags, own);
    const changed = copied.filter((c) => now.has(c.uid) && flagsOf(c) !== c.flags);
    if (changed.length > 0) {
      const changes = changed.map((c) => changeOf(c, flagsOf(c), uidValidity));
      const outcome = await sink.syncFlags(changes);
      await state.recordCopied(
        path,
        uidValidity,
        changed.map((c) => ({ ...c, flags: flagsOf(c) })),
      );
      if (outcome.updated > 0) run.result.flagsUpdated = outcome.updated;
      if (outcome.unmatched > 0) run.result.flagsUnmatched = outcome.unmatched;
      noteLeftOut(run.result, 'destination', outcome.leftOut);
    }
  }
  if (modseq !== undefined && modseq !== mark) await state.setFlagMark(path, uidValidity, modseq);
}
