import { withCommandDeadline } from './command-deadline.js';
import { ensureFolder } from './ensure-folder.js';
import type { Session } from './open-session.js';

/**
 * Changes to messages of the selected folder, by UID set, that never touch other messages:
 * a plain EXPUNGE (all the folder's \Deleted mail, also what another client marked) is never
 * sent. Without UIDPLUS (no UID EXPUNGE) the messages stay marked \Deleted and the caller is
 * told so; without MOVE a move is COPY, then that same delete.
 */

/** Whether the messages are gone from the folder, or only marked \Deleted. */
export interface RemoveOutcome {
  expunged: boolean;
}

export async function addFlags(session: Session, uids: string, flags: string[]): Promise<void> {
  if (flags.length === 0) return;
  await withCommandDeadline(session, 'UID STORE', () =>
    session.client.messageFlagsAdd(uids, flags, { uid: true }),
  );
}

export async function removeFlags(session: Session, uids: string, flags: string[]): Promise<void> {
  if (flags.length === 0) return;
  await withCommandDeadline(session, 'UID STORE', () =>
    session.client.messageFlagsRemove(uids, flags, { uid: true }),
  );
}

/** STORE +FLAGS \Deleted, then UID EXPUNGE of just these UIDs where the server has UIDPLUS. */
export async function deleteUids(session: Session, uids: string): Promise<RemoveOutcome> {
  if (!session.client.capabilities.has('UIDPLUS')) {
    await addFlags(session, uids, ['\\Deleted']);
    return { expunged: false };
  }
  // imapflow sends UID EXPUNGE here, since UIDPLUS is there (checked above).
  await withCommandDeadline(session, 'UID EXPUNGE', () =>
    session.client.messageDelete(uids, { uid: true }),
  );
  return { expunged: true };
}

/** UID MOVE where the server has MOVE (RFC 6851), else UID COPY and deleteUids. The folder is created when missing. */
export async function moveUids(
  session: Session,
  uids: string,
  folder: string,
): Promise<RemoveOutcome & { method: 'MOVE' | 'COPY' }> {
  await ensureFolder(session, folder);
  if (session.client.capabilities.has('MOVE')) {
    await withCommandDeadline(session, 'UID MOVE', () =>
      session.client.messageMove(uids, folder, { uid: true }),
    );
    return { method: 'MOVE', expunged: true };
  }
  await withCommandDeadline(session, 'UID COPY', () =>
    session.client.messageCopy(uids, folder, { uid: true }),
  );
  return { method: 'COPY', ...(await deleteUids(session, uids)) };
}
