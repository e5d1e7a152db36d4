import { makeError } from '../errors.js';
import { abortedError } from '../sleep.js';
import type { Session } from './open-session.js';

export interface CommandOptions {
  /**
   * false for a command whose outcome must be known (APPEND: the message may be stored): the
   * caller's abort then takes effect before the next command instead of cutting this one.
   */
  abortable?: boolean;
  /** The command was written before this call: the caller's abort cannot unsend it. */
  sent?: boolean;
}

/**
 * Runs one IMAP command (or a short exchange such as a mailbox lock) under an absolute
 * deadline of the connection's `timeout`, counted from when it is sent, and the caller's
 * AbortSignal. imapflow's own socket timeout only notices silence, and then sends NOOP and
 * waits again, so a stalled FETCH took twice the timeout and a server sending a byte every
 * 2 s never timed out (issue 9). On expiry or abort the session is closed: its state is
 * unknown, and a late answer must not be read as the answer to the next command.
 * @throws SOCKET_TIMEOUT when the deadline passes; ABORTED when the caller cancels; else
 *   whatever `work` throws.
 */
export function withCommandDeadline<T>(
  session: Pick<Session, 'client' | 'commandTimeoutMs'> & { signal?: AbortSignal | undefined },
  what: string,
  work: () => Promise<T>,
  options: CommandOptions = {},
): Promise<T> {
  const signal = session.signal;
  // Nothing is sent once the caller has cancelled; a command already on the wire whose outcome
  // must be known (a pipelined APPEND) is awaited all the same.
  if (signal?.aborted && !options.sent) return Promise.reject(abortedError());
  const timeoutMs = session.commandTimeoutMs;
  const running = work();
  return new Promise<T>((resolve, reject) => {
    const stop = (error: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // The command fails later with "connection closed": nobody is waiting for it any more.
      running.catch(() => undefined);
      session.client.close();
      reject(error);
    };
    const onAbort = (): void => stop(abortedError());
    const timer = setTimeout(
      () =>
        stop(
          makeError(
            'SOCKET_TIMEOUT',
            `The server did not finish answering ${what} within the timeout of ${timeoutMs} ms.`,
            { details: { timeoutMs, command: what } },
          ),
        ),
      timeoutMs,
    );
    if (options.abortable !== false) signal?.addEventListener('abort', onAbort, { once: true });
    running.then(
      (value) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
