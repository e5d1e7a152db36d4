import { describe, expect, it } from 'vitest';
import { makeError } from '../../../src/errors.js';
import type { PageSource } from '../../../src/read/fetch-batches.js';
import { fetchOrder } from '../../../src/read/page-batches.js';
import { ReadFaults } from '../../../src/read/read-faults.js';
import type { RowContext } from '../../../src/rows/message-to-row.js';

const ctx = { folder: 'INBOX', uidValidity: '7' } as RowContext;
const cut = makeError('CONNECTION_LOST', 'cut');

/** A page's source with these faults: fetchOrder reads nothing else of it. */
const sourceWith = (readFaults?: ReadFaults) => ({ readFaults }) as unknown as PageSource;

/** Faults in which `uids` each dropped the connection once while read alone. */
function droppedAlone(uids: number[], cameThrough = false): ReadFaults {
  const faults = new ReadFaults(3);
  for (const uid of uids) faults.noteFailedRead('INBOX', '7', [uid], cut);
  if (cameThrough) faults.noteRead(1);
  return faults;
}

describe('fetchOrder', () => {
  const batches = [[5], [6], [7, 8], [9]];

  it('keeps the order without faults, or once a message came through', () => {
    expect(fetchOrder(sourceWith(), ctx, batches)).toEqual([0, 1, 2, 3]);
    expect(fetchOrder(sourceWith(new ReadFaults(3)), ctx, batches)).toEqual([0, 1, 2, 3]);
    expect(fetchOrder(sourceWith(droppedAlone([5], true)), ctx, batches)).toEqual([0, 1, 2, 3]);
  });

  it('fetches the batch after a message that dropped alone first, while nothing came through', () => {
    expect(fetchOrder(sourceWith(droppedAlone([5])), ctx, batches)).toEqual([1, 0, 2, 3]);
    // Two such messages in a row: the first batch of neither goes before both.
    expect(fetchOrder(sourceWith(droppedAlone([5, 6])), ctx, batches)).toEqual([2, 0, 1, 3]);
    expect(fetchOrder(sourceWith(droppedAlone([6])), ctx, batches)).toEqual([0, 2, 1, 3]);
  });

  it('keeps the order when nothing follows the message in the page, or in another folder', () => {
    expect(fetchOrder(sourceWith(droppedAlone([9])), ctx, batches)).toEqual([0, 1, 2, 3]);
    expect(fetchOrder(sourceWith(droppedAlone([5])), { ...ctx, folder: 'Sent' }, batches)).toEqual([
      0, 1, 2, 3,
    ]);
  });
});
