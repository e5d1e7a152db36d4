import { withCommandDeadline } from '../imap/command-deadline.js';
import type { Session } from '../imap/open-session.js';
import { toUidSet } from '../imap/uid-set.js';
import { ensureFolder } from '../imap/ensure-folder.js';

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
 * server (RFC 3501 section 6.4.8), so a repeat after a crash is harmless.
 */
export async function applyPostReadAction(
  session: Session,
  action: PostReadAction,
  uids: readonly number[],
): Promise<void> {
  if (action.type === 'none' || uids.length === 0) return;
  const range = toUidSet([...uids].sort((a, b) => a - b));
  const client = session.client;
  const run = (what: string, work: () => Promise<unknown>): Promise<unknown> =>
    withCommandDeadline(session, what, work);
  switch (action.type) {
    case 'markSeen':
      await run('UID STORE', () => client.messageFlagsAdd(range, ['\\Seen'], { uid: true }));
      return;
    case 'addKeyword':
      await run('UID STORE', () => client.messageFlagsAdd(range, [action.keyword], { uid: true }));
      return;
    case 'move':
      await ensureFolder(session, action.folder);
      await run('UID MOVE', () => client.messageMove(range, action.folder, { uid: true }));
      return;
    case 'delete':
      // STORE +FLAGS \Deleted, then UID EXPUNGE of just these UIDs (UIDPLUS) so other deleted mail stays.
      await run('UID EXPUNGE', () => client.messageDelete(range, { uid: true }));
      return;
  }
}
