import { connectionGone } from './borrow-socket.js';
import { withCommandDeadline } from './command-deadline.js';
import { ensureFolder } from './ensure-folder.js';
import { taggedError } from './fetch-response-parser.js';
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

/**
 * Runs one of imapflow's message commands (STORE, EXPUNGE, COPY, MOVE) under the deadline.
 * Those answer false for a failure and only log the error, so a connection that dropped
 * mid-command passed for done: a post-read delete cut between its STORE and its EXPUNGE was
 * cleared from the state untaken, and the message stayed at the source marked \Deleted.
 * False is made an error again: the lost connection's when the session is gone (the run
 * reconnects and takes the action then); with `mustHappen`, else the server's refusal.
 * @throws code NoConnection (CONNECTION_LOST once classified), or a refusal (COMMAND_REFUSED)
 */
export async function carriedOut<T>(
  session: Session,
  what: string,
  command: () => Promise<T | false | undefined>,
  mustHappen: boolean,
): Promise<void> {
  const outcome = await withCommandDeadline(session, what, command);
  if (outcome !== false && outcome !== undefined) return;
  if (!session.client.usable) throw connectionGone();
  // A STORE of flags the folder cannot keep sends nothing and answers false (callers leave
  // those out first and name them: permanent-flags.ts); a refused EXPUNGE, COPY or MOVE left
  // the messages where they were.
  if (mustHappen)
    throw taggedError(what, { status: 'NO', text: `${what} was not carried out`, tag: '' });
}

export async function addFlags(session: Session, uids: string, flags: string[]): Promise<void> {
  if (flags.length === 0) return;
  await carriedOut(
    session,
    'UID STORE',
    () => session.client.messageFlagsAdd(uids, flags, { uid: true }),
    false,
  );
}

export async function removeFlags(session: Session, uids: string, flags: string[]): Promise<void> {
  if (flags.length === 0) return;
  await carriedOut(
    session,
    'UID STORE',
    () => session.client.messageFlagsRemove(uids, flags, { uid: true }),
    false,
  );
}

/** STORE +FLAGS \Deleted, then UID EXPUNGE of just these UIDs where the server has UIDPLUS. */
export async function deleteUids(session: Session, uids: string): Promise<RemoveOutcome> {
  if (!session.client.capabilities.has('UIDPLUS')) {
    await addFlags(session, uids, ['\\Deleted']);
    return { expunged: false };
  }
  // imapflow sends UID EXPUNGE here, since UIDPLUS is there (checked above).
  await carriedOut(
    session,
    'UID EXPUNGE',
    () => session.client.messageDelete(uids, { uid: true }),
    true,
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
    await carriedOut(
      session,
      'UID MOVE',
      () => session.client.messageMove(uids, folder, { uid: true }),
      true,
    );
    return { method: 'MOVE', expunged: true };
  }
  await carriedOut(
    session,
    'UID COPY',
    () => session.client.messageCopy(uids, folder, { uid: true }),
    true,
  );
  return { method: 'COPY', ...(await deleteUids(session, uids)) };
}
