import { makeError } from '../errors.js';
import type { Session } from './open-session.js';

/**
 * Runs one IMAP command (or a short exchange such as a mailbox lock) under an absolute
 * deadline of the connection's `timeout`, counted from when it is sent. imapflow's own socket
 * timeout only notices silence, and then sends NOOP and waits again, so a stalled FETCH took
 * twice the timeout and a server sending a byte every 2 s never timed out (issue 9). On expiry
 * the session is closed: its state is unknown, and a late answer must not be read as the
 * answer to the next command.
 * @throws SOCKET_TIMEOUT when the deadline passes; else whatever `work` throws.
 */
export function withCommandDeadline<T>(
  session: Pick<Session, 'client' | 'errorContext'>,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  const timeoutMs = session.errorContext.timeoutMs;
  const running = work();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      // The command fails later with "connection closed": nobody is waiting for it any more.
      running.catch(() => undefined);
      session.client.close();
      reject(
        makeError(
          'SOCKET_TIMEOUT',
          `The server did not finish answering ${what} within the timeout of ${timeoutMs} ms.`,
          { details: { timeoutMs, command: what } },
        ),
      );
    }, timeoutMs);
    running.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
