/**
 * Flag changes (and, opted in, deletions) of copied messages carried to an IMAP destination
 * folder (issue 29, item 3).
 * The destination's messages are found by the dedupe keys they were copied with: the folder's
 * header fields are indexed once (only when there are changes), a Message-ID key finds every
 * copy, a header digest only a single one. Changes are sent as UID STORE +FLAGS / -FLAGS, one
 * per distinct change, so flags set at the destination meanwhile (by the user there) stay,
 * and flags the folder cannot keep (PERMANENTFLAGS) are left out and counted in the result.
 */
import type { Session } from '../imap/open-session.js';
import { permanentFlagsOf, splitByPermanence } from '../imap/permanent-flags.js';
import { addFlags, deleteUids, removeFlags } from '../imap/uid-actions.js';
import { toUidSet } from '../imap/uid-set.js';
import { withMailbox } from '../imap/with-mailbox.js';
import { indexedMessages } from '../write/target-folder-index.js';
import type { FlagChange, FlagSyncResult, GoneCopy, RemoveCopiesResult } from './sink.js';

/** The destination UIDs of each change, by its keys; none when it is gone or ambiguous. */
function locate(
  changes: readonly GoneCopy[],
  indexed: Awaited<ReturnType<typeof indexedMessages>>,
): number[][] {
  const byKey = new Map<string, number[]>();
  const byDigest = new Map<string, number[]>();
  const push = (map: Map<string, number[]>, key: string, uid: number): void => {
    const list = map.get(key);
    if (list) list.push(uid);
    else map.set(key, [uid]);
  };
  for (const message of indexed) {
    if (message.messageIdKey !== undefined) push(byKey, message.messageIdKey, message.uid);
    push(byDigest, message.headerDigest, message.uid);
  }
  return changes.map((change) => {
    if (change.messageIdKey !== undefined) return byKey.get(change.messageIdKey) ?? [];
    const same = byDigest.get(change.headerDigest) ?? [];
    return same.length === 1 ? same : [];
  });
}

export async function syncImapFlags(
  session: Session,
  destination: string,
  changes: readonly FlagChange[],
): Promise<FlagSyncResult> {
  if (changes.length === 0) return { updated: 0, unmatched: 0, leftOut: new Map() };
  const targets = locate(changes, await indexedMessages(session, destination));
  return withMailbox(session, destination, false, async () => {
    const permanent = permanentFlagsOf(session);
    // One STORE per distinct change: a flag read or flagged on many messages is one command.
    const groups = new Map<string, { add: string[]; remove: string[]; uids: number[] }>();
    const leftOut = new Map<string, number>();
    let updated = 0;
    let unmatched = 0;
    changes.forEach((change, i) => {
      const uids = targets[i]!;
      if (uids.length === 0) {
        unmatched++;
        return;
      }
      const { kept: add, leftOut: notAdded } = splitByPermanence(permanent, change.add);
      for (const flag of notAdded) leftOut.set(flag, (leftOut.get(flag) ?? 0) + 1);
      const remove = splitByPermanence(permanent, change.remove).kept;
      // A change the folder cannot keep any of is left out, not counted as carried over.
      if (add.length === 0 && remove.length === 0) return;
      updated++;
      const key = JSON.stringify([add, remove]);
      const group = groups.get(key) ?? { add, remove, uids: [] };
      group.uids.push(...uids);
      groups.set(key, group);
    });
    for (const { add, remove, uids } of groups.values()) {
      const set = toUidSet([...new Set(uids)].sort((a, b) => a - b));
      await addFlags(session, set, add);
      await removeFlags(session, set, remove);
    }
    return { updated, unmatched, leftOut };
  });
}

/**
 * Removes the destination copies of messages deleted at the source: only a copy its keys find
 * alone (two alike at the destination may be the user's own), by UID EXPUNGE of just those
 * UIDs; without UIDPLUS they are only marked \Deleted (a plain EXPUNGE would take the folder's
 * other \Deleted mail too).
 */
export async function removeImapCopies(
  session: Session,
  destination: string,
  gone: readonly GoneCopy[],
): Promise<RemoveCopiesResult> {
  if (gone.length === 0) return { removed: 0, unmatched: 0, expunged: true };
  const targets = locate(gone, await indexedMessages(session, destination));
  const uids = targets.filter((found) => found.length === 1).map((found) => found[0]!);
  if (uids.length === 0) return { removed: 0, unmatched: gone.length, expunged: true };
  const { expunged } = await withMailbox(session, destination, false, () =>
    deleteUids(session, toUidSet(uids.sort((a, b) => a - b))),
  );
  return { removed: uids.length, unmatched: gone.length - uids.length, expunged };
}
