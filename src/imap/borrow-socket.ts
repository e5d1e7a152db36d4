import type { ImapFlow } from 'imapflow';
import { SILENT_LOGGER, type Logger } from '../operation-options.js';
import { checkedLine } from './command-line.js';
import { borrowableSocket } from './imapflow-internals.js';

/** What a response reader says after a chunk: more to come, or the command's end. */
export type Consumed<T> =
  | { done: false }
  | { done: true; value: T; rest: Buffer }
  | { done: true; error: Error; rest: Buffer };

/** True when the session can lend its socket: connected, idle, and not compressed. */
export function canBorrowSocket(client: ImapFlow): boolean {
  return borrowableSocket(client) !== undefined;
}

let tagCounter = 0;

/** A tag of our own, never one imapflow uses (its tags are numbers). */
export function nextTag(): string {
  return `X${(++tagCounter).toString(36).toUpperCase()}`;
}

/**
 * Sends one command line on the session's socket and hands every byte of the answer to
 * `consume` until it reports the tagged end: the socket is unpiped from imapflow's reader for
 * the length of the command and piped back after, so imapflow keeps the session, its auth and
 * every other command. Bytes after the tagged line (none, as nothing else is pending) go back
 * to imapflow's reader. A `consume` that throws ends the command and destroys the socket.
 * @throws what `consume` throws or reports; code NoConnection when the socket closes first.
 */
export function borrowSocket<T>(
  client: ImapFlow,
  line: string,
  consume: (chunk: Buffer) => Consumed<T>,
  logger: Logger = SILENT_LOGGER,
): Promise<T> {
  const lent = borrowableSocket(client);
  if (!lent)
    return Promise.reject(
      Object.assign(new Error('The session cannot lend its socket'), { code: 'NoConnection' }),
    );
  const { socket, streamer } = lent;
  const command = checkedLine(line);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const detach = (): void => {
      settled = true;
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
    };
    const onData = (chunk: Buffer): void => {
      if (settled) return;
      let outcome: Consumed<T>;
      try {
        outcome = consume(chunk);
      } catch (error) {
        detach();
        socket.destroy();
        reject(error as Error);
        return;
      }
      if (!outcome.done) return;
      detach();
      socket.pipe(streamer);
      if (outcome.rest.length > 0) streamer.write(outcome.rest);
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.value);
    };
    const onClose = (): void => {
      if (settled) return;
      detach();
      reject(Object.assign(new Error('Connection not available'), { code: 'NoConnection' }));
    };
    socket.unpipe(streamer);
    socket.on('data', onData);
    // unpipe() leaves the socket explicitly paused, and a 'data' listener alone does not resume it.
    socket.resume();
    socket.once('close', onClose);
    socket.once('error', onClose);
    // Logged like imapflow's client lines; FETCH and SEARCH lines carry no secret.
    logger.debug({ src: 'connector:c', msg: command });
    socket.write(`${command}\r\n`);
  });
}
