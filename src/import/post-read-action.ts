import type { Session } from '../imap/open-session.js';
import { addFlags, deleteUids, moveUids } from '../imap/uid-actions.js';
import { uidSearch } from '../imap/uid-search.js';
import { toUidSet } from '../imap/uid-set.js';
import { toSearchAttributes } from '../query/render-search.js';

/** What happens to a source message once the destination has it. */
export type PostReadAction =
  | { type: 'none' }
  | { type: 'markSeen' }
  | { type: 'addKeyword'; keyword: string }
  | { type: 'move'; folder: string }
  /** With olderThanDays, only messages received (INTERNALDATE) more than that many days ago. */
  | { type: 'delete'; olderThanDays?: number };

/** The flag a marking action sets (markSeen, addKeyword); undefined for the others. */
export function flagOfAction(action: PostReadAction): string | undefined {
  if (action.type === 'markSeen') return '\\Seen';
  return action.type === 'addKeyword' ? action.keyword : undefined;
}

/** A delete by age: younger messages stay until a later run finds them old enough. */
export function deletesByAge(
  action: PostReadAction,
): action is { type: 'delete'; olderThanDays: number } {
  return action.type === 'delete' && action.olderThanDays !== undefined;
}

/** The first day a message must be received before to count as older than `days` (UTC). */
export function ageCutoff(days: number, now: Date = new Date()): string {
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  return cutoff.toISOString().slice(0, 10);
}

/**
 * Of the given UID set, those the selected folder received before the cutoff. SEARCH BEFORE
 * compares the day of INTERNALDATE, the date the source server gave the message.
 */
export async function uidsOlderThan(
  session: Session,
  set: string,
  days: number,
): Promise<number[]> {
  return uidSearch(
    session,
    toSearchAttributes([
      { key: 'UID', set },
      { key: 'BEFORE', date: ageCutoff(days) },
    ]),
  );
}

/**
 * Applies the action to UIDs of the folder the session has selected read-write, and says how
 * many source messages it deleted. Callers pass only UIDs whose
 * messages the destination confirmed; UIDs already gone are ignored by the server (RFC 3501
 * section 6.4.8), so a repeat after a crash is harmless. Never a plain EXPUNGE: on a server
 * without UIDPLUS deleted and moved messages stay marked \Deleted.
 */
export async function applyPostReadAction(
  session: Session,
  action: PostReadAction,
  uids: readonly number[],
): Promise<number> {
  if (action.type === 'none' || uids.length === 0) return 0;
  const range = toUidSet([...uids].sort((a, b) => a - b));
  switch (action.type) {
    case 'markSeen':
      await addFlags(session, range, ['\\Seen']);
      return 0;
    case 'addKeyword':
      await addFlags(session, range, [action.keyword]);
      return 0;
    case 'move':
      await moveUids(session, range, action.folder);
      return 0;
    case 'delete': {
      if (!deletesByAge(action)) {
        await deleteUids(session, range);
        return uids.length;
      }
      const old = await uidsOlderThan(session, range, action.olderThanDays);
      if (old.length > 0) await deleteUids(session, toUidSet(old));
      return old.length;
    }
  }
}
