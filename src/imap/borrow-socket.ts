import type { ImapFlow } from 'imapflow';
import { SILENT_LOGGER, type Logger } from '../operation-options.js';
import { checkedLine } from './command-line.js';
import { borrowableSocket } from './imapflow-internals.js';
import { socketBytesRead } from '../young-collections.js';

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

/** The session's socket, taken from imapflow's reader until give-back. */
export interface SocketLease {
  /**
   * Writes bytes as they are (a command line, or the parts of one with literals); `written`
   * is called once the socket is done with them (sent, failed, or the lease already over).
   */
  write(data: string | Buffer, written?: () => void): void;
  /** Runs `writes` with the socket corked: what they write leaves in one writev (a MULTIAPPEND command, not two writes per message). */
  together(writes: () => void): void;
  /**
   * Resolves once at most `bytes` wait in the socket's send buffer (or it closed): a message
   * written a chunk at a time from another server holds no more than that here.
   * @throws code NoConnection once the lease has ended: nothing more would reach the server.
   */
  flowing(bytes: number): Promise<void>;
  /**
   * Corks the socket until this turn of the event loop ends: what is written meanwhile (the
   * slices of one source chunk, a message's head and bytes) leaves in one writev.
   */
  holdWrites(): void;
  /** Stops (and resume() restarts) reading the socket: the server then waits on TCP's window. */
  pause(): void;
  resume(): void;
  /** Hands the socket back to imapflow; `rest` (bytes after the last answer) goes to its reader. */
  giveBack(rest: Buffer): void;
  /** Ends the lease by destroying the socket: its state is unknown. */
  destroy(): void;
}

/** What the holder of a lease hears: every byte the server sends, and the socket's end. */
export interface LeaseListener {
  onData(chunk: Buffer): void;
  onClose(): void;
}

/** The error a lease reports when the socket closes under it (imapflow's code for it). */
export function connectionGone(): Error {
  return Object.assign(new Error('Connection not available'), { code: 'NoConnection' });
}

/**
 * Takes the session's socket from imapflow's reader: from now on every byte the server sends
 * goes to `listener` until giveBack(), which pipes the socket back so imapflow keeps the
 * session, its auth and every other command. Only one lease at a time, and only while
 * imapflow has no command in flight.
 * @returns undefined when the session cannot lend its socket (see canBorrowSocket).
 */
export function leaseSocket(client: ImapFlow, listener: LeaseListener): SocketLease | undefined {
  const lent = borrowableSocket(client);
  if (!lent) return undefined;
  const { socket, streamer } = lent;
  let ended = false;
  let holding = false;
  const detach = (): void => {
    ended = true;
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.off('error', onClose);
  };
  const onData = (chunk: Buffer): void => {
    // Every borrowed socket's reads pace young collections when the process armed them.
    socketBytesRead(chunk.length);
    if (!ended) listener.onData(chunk);
  };
  const onClose = (): void => {
    if (ended) return;
    detach();
    listener.onClose();
  };
  socket.unpipe(streamer);
  socket.on('data', onData);
  // unpipe() leaves the socket explicitly paused, and a 'data' listener alone does not resume it.
  socket.resume();
  socket.once('close', onClose);
  socket.once('error', onClose);
  return {
    write: (data, written) => {
      if (ended) return void written?.();
      if (written) socket.write(data, () => written());
      else socket.write(data);
    },
    together: (writes) => {
      socket.cork();
      try {
        writes();
      } finally {
        socket.uncork();
      }
    },
    flowing: (bytes) =>
      ended
        ? Promise.reject(connectionGone())
        : socket.writableLength <= bytes
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              const done = (): void => {
                socket.off('drain', done);
                socket.off('close', done);
                resolve();
              };
              socket.on('drain', done);
              socket.on('close', done);
            }),
    holdWrites: () => {
      if (ended || holding) return;
      holding = true;
      socket.cork();
      setImmediate(() => {
        holding = false;
        socket.uncork();
      });
    },
    pause: () => {
      if (!ended) socket.pause();
    },
    resume: () => {
      if (!ended) socket.resume();
    },
    giveBack: (rest) => {
      if (ended) return;
      detach();
      // pipe() resumes a socket left paused (pause() above).
      socket.pipe(streamer);
      if (rest.length > 0) streamer.write(rest);
    },
    destroy: () => {
      if (ended) return;
      detach();
      socket.destroy();
    },
  };
}

/**
 * Sends one command line on the session's socket and hands every byte of the answer to
 * `consume` until it reports the tagged end (a lease for the length of one command). Bytes
 * after the tagged line (none, as nothing else is pending) go back to imapflow's reader. A
 * `consume` that throws ends the command and destroys the socket.
 * @throws what `consume` throws or reports; code NoConnection when the socket closes first.
 */
export function borrowSocket<T>(
  client: ImapFlow,
  line: string,
  consume: (chunk: Buffer) => Consumed<T>,
  logger: Logger = SILENT_LOGGER,
): Promise<T> {
  const command = checkedLine(line);
  return new Promise<T>((resolve, reject) => {
    const lease = leaseSocket(client, {
      onData: (chunk) => {
        let outcome: Consumed<T>;
        try {
          outcome = consume(chunk);
        } catch (error) {
          lease!.destroy();
          reject(error as Error);
          return;
        }
        if (!outcome.done) return;
        lease!.giveBack(outcome.rest);
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.value);
      },
      onClose: () => reject(connectionGone()),
    });
    if (!lease) {
      reject(
        Object.assign(new Error('The session cannot lend its socket'), { code: 'NoConnection' }),
      );
      return;
    }
    // Logged like imapflow's client lines; FETCH and SEARCH lines carry no secret.
    logger.debug({ src: 'connector:c', msg: command });
    lease.write(`${command}\r\n`);
  });
}
