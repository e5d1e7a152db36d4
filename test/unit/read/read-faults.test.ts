import { describe, expect, it } from 'vitest';
import { makeError } from '../../../src/errors.js';
import { ReadFaults } from '../../../src/read/read-faults.js';

/** Faults of a run in which some message already came through. */
function readingFaults(reconnectAttempts: number): ReadFaults {
  const faults = new ReadFaults(reconnectAttempts);
  faults.noteRead(1);
  return faults;
}

const cut = makeError('CONNECTION_LOST', 'cut');
const stalled = makeError('SOCKET_TIMEOUT', 'silent');

describe('ReadFaults', () => {
  it('reads a batch that dropped one message at a time, and gives up on none for it', () => {
    const faults = readingFaults(2);
    expect(faults.noteFailedRead('INBOX', '7', [1, 2, 3], cut)).toEqual([]);
    expect([1, 2, 3].map((uid) => faults.readsAlone('INBOX', '7', uid))).toEqual([
      true,
      true,
      true,
    ]);
    expect(faults.readsAlone('INBOX', '7', 4)).toBe(false);
    expect(faults.givenUp('INBOX', '7', 2)).toBe(false);
  });

  it('gives up on a message read alone at the drop that would spend the reconnects, once', () => {
    const faults = readingFaults(2);
    expect(faults.noteFailedRead('INBOX', '7', [5], cut)).toEqual([]);
    expect(faults.givenUp('INBOX', '7', 5)).toBe(false);
    expect(faults.noteFailedRead('INBOX', '7', [5], stalled)).toEqual([5]);
    expect(faults.givenUp('INBOX', '7', 5)).toBe(true);
    expect(faults.noteFailedRead('INBOX', '7', [5], cut)).toEqual([]);
    // Another folder, or the same one renumbered, is another message.
    expect(faults.givenUp('Sent', '7', 5)).toBe(false);
    expect(faults.givenUp('INBOX', '8', 5)).toBe(false);
  });

  it('notes nothing for a fault that says nothing of a message', () => {
    const faults = readingFaults(2);
    for (const code of ['SERVER_THROTTLED', 'ABORTED', 'OVER_QUOTA', 'CONNECT_REFUSED'] as const) {
      expect(faults.noteFailedRead('INBOX', '7', [9], makeError(code, code))).toEqual([]);
      expect(faults.noteFailedRead('INBOX', '7', [9], makeError(code, code))).toEqual([]);
    }
    // A cut of the destination's connection says nothing of the source's message.
    const destination = makeError('CONNECTION_LOST', 'cut', { details: { side: 'destination' } });
    expect(faults.noteFailedRead('INBOX', '7', [9], destination)).toEqual([]);
    expect(faults.readsAlone('INBOX', '7', 9)).toBe(false);
    expect(faults.givenUp('INBOX', '7', 9)).toBe(false);
  });

  it('gives up at the first drop alone when there are no reconnects, and never earlier than they allow', () => {
    const none = readingFaults(0);
    expect(none.noteFailedRead('INBOX', '7', [3], cut)).toEqual([3]);
    const four = readingFaults(4);
    for (let drop = 1; drop < 4; drop++)
      expect(four.noteFailedRead('INBOX', '7', [3], cut)).toEqual([]);
    expect(four.noteFailedRead('INBOX', '7', [3], cut)).toEqual([3]);
  });

  it('gives nothing up while no message has come through: a link cut after a few KB every time', () => {
    const faults = new ReadFaults(2);
    for (let drop = 0; drop < 5; drop++)
      expect(faults.noteFailedRead('INBOX', '7', [1], cut)).toEqual([]);
    expect(faults.givenUp('INBOX', '7', 1)).toBe(false);
    faults.noteRead(1);
    expect(faults.noteFailedRead('INBOX', '7', [1], cut)).toEqual([1]);
    expect(faults.givenUpSoFar).toBe(1);
  });

  it('reads alone from the start what an earlier run listed for dropping the connection', () => {
    const faults = readingFaults(2);
    faults.readAlone('INBOX', '7', [11]);
    expect(faults.readsAlone('INBOX', '7', 11)).toBe(true);
    expect(faults.givenUp('INBOX', '7', 11)).toBe(false);
  });
});

describe('ReadFaults.reading', () => {
  const place = { folder: 'INBOX', uidValidity: '7' };
  const heard = () => {
    const calls: string[] = [];
    return {
      calls,
      listeners: {
        givenUp: (uids: number[]) => void calls.push(`givenUp ${uids.join(',')}`),
        suspect: (uid: number) => void calls.push(`suspect ${uid}`),
      },
    };
  };

  it('names a message that dropped alone before any came through a suspect, not after', async () => {
    const faults = new ReadFaults(3);
    const { calls, listeners } = heard();
    // A batch's drop names no one; the drop of a message read alone does.
    await expect(faults.reading(place, [1, 2], Promise.reject(cut), listeners)).rejects.toBe(cut);
    await expect(faults.reading(place, [1], Promise.reject(cut), listeners)).rejects.toBe(cut);
    expect(calls).toEqual(['suspect 1']);
    expect(faults.droppedAlone('INBOX', '7', 1)).toBe(true);
    expect(faults.droppedAlone('INBOX', '7', 2)).toBe(false);
    // Once another message came through, a drop counts against the message instead.
    await faults.reading(place, [2], Promise.resolve('ok'), listeners);
    expect(faults.cameThrough()).toBe(true);
    await expect(faults.reading(place, [1], Promise.reject(cut), listeners)).rejects.toBe(cut);
    await expect(faults.reading(place, [1], Promise.reject(cut), listeners)).rejects.toBe(cut);
    expect(calls).toEqual(['suspect 1', 'givenUp 1']);
  });

  it('names no suspect for a fault that says nothing of a message', async () => {
    const faults = new ReadFaults(3);
    const { calls, listeners } = heard();
    const throttled = makeError('SERVER_THROTTLED', 'slow down');
    await expect(faults.reading(place, [1], Promise.reject(throttled), listeners)).rejects.toBe(
      throttled,
    );
    expect(calls).toEqual([]);
  });

  it('reads a message given up on by its envelope once per folder and UIDVALIDITY', () => {
    const faults = new ReadFaults(3);
    expect(faults.firstLightRead('INBOX', '7', 1)).toBe(true);
    expect(faults.firstLightRead('INBOX', '7', 1)).toBe(false);
    expect(faults.firstLightRead('INBOX', '7', 2)).toBe(true);
    expect(faults.firstLightRead('INBOX', '8', 1)).toBe(true);
    expect(faults.firstLightRead('Sent', '7', 1)).toBe(true);
  });
});
