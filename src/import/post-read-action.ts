import type { Session } from '../imap/open-session.js';
import { addFlags, deleteUids, moveUids } from '../imap/uid-actions.js';
import { toUidSet } from '../imap/uid-set.js';

/** What happens to a source message once the destination has it. */
export type PostReadAction =
  | { type: 'none' }
  | { type: 'markSeen' }
  | { type: 'addKeyword'; keyword: string }
  | { type: 'move'; folder: string }
  | { type: 'delete' };

/**
 * Applies the action to UIDs of the folder the session has selected read-write. Callers pass
 * only UIDs whose messages the destination confirmed; UIDs already gone are ignored by the
 * server (RFC 3501 section 6.4.8), so a repeat after a crash is harmless. Never a plain
 * EXPUNGE: on a server without UIDPLUS deleted and moved messages stay marked \Deleted.
 */
export async function applyPostReadAction(
  session: Session,
  action: PostReadAction,
  uids: readonly number[],
): Promise<void> {
  if (action.type === 'none' || uids.length === 0) return;
  const range = toUidSet([...uids].sort((a, b) => a - b));
  switch (action.type) {
    case 'markSeen':
      await addFlags(session, range, ['\\Seen']);
      return;
    case 'addKeyword':
      await addFlags(session, range, [action.keyword]);
      return;
    case 'move':
      await moveUids(session, range, action.folder);
      return;
    case 'delete':
      await deleteUids(session, range);
      return;
  }
}
