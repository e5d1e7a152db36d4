/**
 * Source connections that dropped while messages were being read, remembered across the
 * reconnects of one import run or read. A message whose reading drops the connection every time (a
 * server process that dies on a damaged file, a filter that resets connections carrying some
 * content) would otherwise fail every attempt at the same place, and so its mailbox, run after
 * run. So a batch that was being read when the connection dropped is read one message at a
 * time afterwards. A message read alone goes on being tried as long as the reconnects would
 * allow; the drop that would end the run (the `reconnectAttempts`-th read of it alone) gives
 * it up instead, and the run goes on without it: an import lists it as failed (read again next
 * run), a read gives its row with the problem. A connection cut at the same byte of
 * every session (a proxy's limit per connection), for fewer sessions in a row than the
 * reconnects allow, so never gives a message up: that would lose it for the run.
 */
import { isConnectorError, type ConnectorError } from '../errors.js';
import type { MessageProblem } from '../message-limits.js';

/**
 * A read's row for a message given up on: what one lighter FETCH (its envelope, flags, date and
 * size) still gave, or only its UID when that dropped the connection too, and this problem.
 */
export const DROPPED_ROW: MessageProblem = {
  code: 'MESSAGE_UNAVAILABLE',
  message:
    'The connection to the server dropped each time this message was read alone, as long as the reconnects allowed; the row has only what a FETCH of its envelope, flags, date and size gave.',
};

/** Where a read happens, and how its raw errors are named (a session's asError). */
export interface FaultPlace {
  folder: string;
  uidValidity: string;
  asError?: (error: unknown) => ConnectorError;
}

/** What a reading's caller hears of a drop (ReadFaults.reading). */
export interface DropListeners {
  givenUp?: (uids: number[]) => void | Promise<void>;
  suspect?: (uid: number) => void | Promise<void>;
}

export class ReadFaults {
  // Drops while read alone before a message is given up on for the run.
  private readonly dropsAlone: number;
  /** Messages given up on so far: a reconnect loop counts each as progress. */
  givenUpSoFar = 0;
  // Messages read whole so far: until one is, a drop says nothing about one message.
  private readsSoFar = 0;

  /** @param reconnectAttempts the run's: a message is given up on when they would be spent. */
  constructor(reconnectAttempts: number) {
    this.dropsAlone = Math.max(1, reconnectAttempts);
  }

  // Per folder (path and UIDVALIDITY): the UIDs read alone from now on, and their drops.
  private readonly folders = new Map<
    string,
    {
      alone: Set<number>;
      drops: Map<number, number>;
      given: Set<number>;
      /** Given up on, and read once by its envelope since: never again (that may drop too). */
      lightlyRead: Set<number>;
    }
  >();

  /** Messages the source gave whole: proof the connection can carry a message. */
  noteRead(count: number): void {
    this.readsSoFar += count;
  }

  /**
   * Awaits `work`, a read of `uids` in `place` (or a store that streams from it): once it gives
   * them, they count as read; when it fails, the failure is noted (noteFailedRead, after
   * `place.asError` names a raw error), and before the error goes on (an import lists while
   * its state can still be written) `heard.givenUp` hears the UIDs it gave up on, and
   * `heard.suspect` a message that dropped the connection alone before any came through in
   * this run: read first again, it could never be given up, so the caller reads it after the
   * rest (an import lists it now, so that a crash cannot leave it behind its checkpoint).
   * @throws what `work` throws
   */
  async reading<T>(
    place: FaultPlace,
    uids: readonly number[],
    work: Promise<T>,
    heard: DropListeners = {},
  ): Promise<T> {
    try {
      const done = await work;
      this.noteRead(uids.length);
      return done;
    } catch (error) {
      const fault = place.asError ? place.asError(error) : isConnectorError(error) ? error : null;
      const givenUp = fault
        ? this.noteFailedRead(place.folder, place.uidValidity, uids, fault)
        : [];
      if (givenUp.length > 0) await heard.givenUp?.(givenUp);
      else if (this.blocksAlone(place.folder, place.uidValidity, uids))
        await heard.suspect?.(uids[0]!);
      throw error;
    }
  }

  /**
   * A read of `uids` ended with `error`. When it is the source's connection dropping (cut or
   * silent; a fault marked the destination's is not), they are read alone from now on; one read
   * alone counts a drop.
   * @returns the UIDs given up on by this drop: read alone and dropped `reconnectAttempts`
   *   times, while other messages came through (a connection that carries none, a link cut
   *   after a few KB every time, gives nothing up: the run fails as it did).
   */
  noteFailedRead(
    path: string,
    uidValidity: string,
    uids: readonly number[],
    error: ConnectorError,
  ): number[] {
    if (!droppedConnection(error) || error.details?.side === 'destination' || uids.length === 0)
      return [];
    const folder = this.folder(path, uidValidity);
    for (const uid of uids) folder.alone.add(uid);
    if (uids.length > 1) return [];
    const uid = uids[0]!;
    const drops = (folder.drops.get(uid) ?? 0) + 1;
    folder.drops.set(uid, drops);
    if (drops < this.dropsAlone || this.readsSoFar === 0 || folder.given.has(uid)) return [];
    folder.given.add(uid);
    this.givenUpSoFar++;
    return [uid];
  }

  /** Whether some message came through whole in this run: a drop then can be a message's. */
  cameThrough(): boolean {
    return this.readsSoFar > 0;
  }

  /**
   * Whether `uids` is one message that dropped the connection while read alone, before any
   * message came through in this run: read first again, it could never be given up, so it is
   * read after the rest (fetchOrder, and `suspect` in reading()).
   */
  blocksAlone(path: string, uidValidity: string, uids: readonly number[]): boolean {
    return (
      uids.length === 1 && !this.cameThrough() && this.droppedAlone(path, uidValidity, uids[0]!)
    );
  }

  /** Whether the message dropped the connection while read alone in this run. */
  droppedAlone(path: string, uidValidity: string, uid: number): boolean {
    return (this.folders.get(key(path, uidValidity))?.drops.get(uid) ?? 0) > 0;
  }

  /** Whether the message is read in a batch of its own. */
  readsAlone(path: string, uidValidity: string, uid: number): boolean {
    return this.folders.get(key(path, uidValidity))?.alone.has(uid) === true;
  }

  /** Whether the message is not read again in this run. */
  givenUp(path: string, uidValidity: string, uid: number): boolean {
    return this.folders.get(key(path, uidValidity))?.given.has(uid) === true;
  }

  /**
   * Whether a message given up on is to be read by its envelope now: the first time only, so
   * that a lighter FETCH that drops the connection as well costs one reconnect, not all.
   */
  firstLightRead(path: string, uidValidity: string, uid: number): boolean {
    const folder = this.folder(path, uidValidity);
    if (folder.lightlyRead.has(uid)) return false;
    folder.lightlyRead.add(uid);
    return true;
  }

  /** Read alone from the start: listed as failed by an earlier run for dropping the connection. */
  readAlone(path: string, uidValidity: string, uids: readonly number[]): void {
    const folder = this.folder(path, uidValidity);
    for (const uid of uids) folder.alone.add(uid);
  }

  private folder(path: string, uidValidity: string) {
    const name = key(path, uidValidity);
    let folder = this.folders.get(name);
    if (!folder)
      this.folders.set(
        name,
        (folder = { alone: new Set(), drops: new Map(), given: new Set(), lightlyRead: new Set() }),
      );
    return folder;
  }
}

const key = (path: string, uidValidity: string): string => `${uidValidity}\u0000${path}`;

/** A cut or stalled connection (a throttle answer or a refused connect says nothing of a message). */
function droppedConnection(error: ConnectorError): boolean {
  return error.code === 'CONNECTION_LOST' || error.code === 'SOCKET_TIMEOUT';
}
