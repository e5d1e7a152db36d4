import { withCommandDeadline } from './command-deadline.js';
import type { Session } from './open-session.js';

/**
 * Opens a folder (SELECT, or EXAMINE when read-only, so \Seen never changes) under imapflow's
 * mailbox lock, runs `work`, and always releases the lock. Opening has the command deadline;
 * `work` sets its own per command.
 * @throws SOCKET_TIMEOUT, LOCK_TIMEOUT and session errors from opening; whatever `work` throws.
 */
export async function withMailbox<T>(
  session: Session,
  path: string,
  readOnly: boolean,
  work: () => Promise<T>,
): Promise<T> {
  const timeout = session.commandTimeoutMs;
  const lock = await withCommandDeadline(
    session,
    readOnly ? `EXAMINE ${JSON.stringify(path)}` : `SELECT ${JSON.stringify(path)}`,
    () => session.client.getMailboxLock(path, { readOnly, acquireTimeout: timeout }),
  );
  try {
    return await work();
  } finally {
    lock.release();
  }
}
