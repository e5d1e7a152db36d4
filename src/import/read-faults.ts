/**
 * Source connections that dropped while messages were being read, remembered across the
 * reconnects of one import run. A message whose reading drops the connection every time (a
 * server process that dies on a damaged file, a filter that resets connections carrying some
 * content) would otherwise fail every attempt at the same place, and so its mailbox, run after
 * run. So a batch that was being read when the connection dropped is read one message at a
 * time afterwards. A message read alone goes on being tried as long as the reconnects would
 * allow; the drop that would end the run (the `reconnectAttempts`-th read of it alone) lists
 * it as failed instead, and the run goes on without it. A connection cut at the same byte of
 * every session (a proxy's limit per connection), for fewer sessions in a row than the
 * reconnects allow, so never gives a message up: that would lose it for the run.
 */
import type { ConnectorError } from '../errors.js';
import { recordUnread, type FolderRun } from './folder-run.js';
import type { FailedMessage } from './import-result.js';

/** How a message is listed once its reading dropped the connection every time it was tried. */
export const DROPPED: Omit<FailedMessage, 'uid'> = {
  code: 'MESSAGE_UNAVAILABLE',
  message:
    'The connection to the source dropped each time this message was read; it is read again, alone, next run.',
};

export class ReadFaults {
  // Drops while read alone before a message is given up on for the run.
  private readonly dropsAlone: number;

  /** @param reconnectAttempts the run's: a message is given up on when they would be spent. */
  constructor(reconnectAttempts: number) {
    this.dropsAlone = Math.max(1, reconnectAttempts);
  }

  // Per folder (path and UIDVALIDITY): the UIDs read alone from now on, and their drops.
  private readonly folders = new Map<string, { alone: Set<number>; drops: Map<number, number> }>();

  /**
   * A read of `uids` ended with `error`. When it is the source's connection dropping (cut or
   * silent), they are read alone from now on; one read alone counts a drop.
   * @returns the UIDs given up on by this drop (read alone, dropped `reconnectAttempts` times).
   */
  noteFailedRead(
    path: string,
    uidValidity: string,
    uids: readonly number[],
    error: ConnectorError,
  ): number[] {
    if (!droppedConnection(error) || uids.length === 0) return [];
    const folder = this.folder(path, uidValidity);
    for (const uid of uids) folder.alone.add(uid);
    if (uids.length > 1) return [];
    const uid = uids[0]!;
    const drops = (folder.drops.get(uid) ?? 0) + 1;
    folder.drops.set(uid, drops);
    return drops === this.dropsAlone ? [uid] : [];
  }

  /** Whether the message is read in a batch of its own. */
  readsAlone(path: string, uidValidity: string, uid: number): boolean {
    return this.folders.get(key(path, uidValidity))?.alone.has(uid) === true;
  }

  /** Whether the message is not read again in this run. */
  givenUp(path: string, uidValidity: string, uid: number): boolean {
    return (this.folders.get(key(path, uidValidity))?.drops.get(uid) ?? 0) >= this.dropsAlone;
  }

  /** Read alone from the start: listed as failed by an earlier run for dropping the connection. */
  readAlone(path: string, uidValidity: string, uids: readonly number[]): void {
    const folder = this.folder(path, uidValidity);
    for (const uid of uids) folder.alone.add(uid);
  }

  private folder(path: string, uidValidity: string) {
    const name = key(path, uidValidity);
    let folder = this.folders.get(name);
    if (!folder) this.folders.set(name, (folder = { alone: new Set(), drops: new Map() }));
    return folder;
  }
}

const key = (path: string, uidValidity: string): string => `${uidValidity}\u0000${path}`;

/** A cut or stalled connection (a throttle answer or a refused connect says nothing of a message). */
function droppedConnection(error: ConnectorError): boolean {
  return error.code === 'CONNECTION_LOST' || error.code === 'SOCKET_TIMEOUT';
}

/**
 * Awaits `work`, a read of `uids` from the source (or a store that streams from it). When it
 * fails because the source's connection dropped, that is noted (ReadFaults), and a message
 * given up on by it is listed as failed now, while the state can still be written.
 * @throws what `work` throws
 */
export async function notingDrops<T>(
  run: FolderRun,
  uids: readonly number[],
  work: Promise<T>,
): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const fault = run.job.session.asError(error);
    if (fault.details?.side !== 'destination') {
      const { path, uidValidity } = run;
      const givenUp = run.job.readFaults.noteFailedRead(path, uidValidity, uids, fault);
      await recordUnread(run, givenUp, DROPPED.code, DROPPED.message);
    }
    throw error;
  }
}
