import { describe, expect, it } from 'vitest';
import { makeError } from '../../../src/errors.js';
import type { PageSource } from '../../../src/read/fetch-batches.js';
import { fetchOrder, givenUpBatch } from '../../../src/read/page-batches.js';
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

describe('givenUpBatch', () => {
  it('reads a message given up on by its envelope after the pace and the delay, as any batch', async () => {
    const faults = new ReadFaults(1);
    faults.noteRead(1);
    expect(faults.noteFailedRead('INBOX', '7', [5], cut)).toEqual([5]);
    const waits: string[] = [];
    const source = {
      readFaults: faults,
      config: { delayBetweenMessagesMs: 5 },
      pace: { step: async () => void waits.push('pace') },
      // The envelope FETCH itself is past what this test looks at: the session has no client.
      session: { signal: undefined },
    } as unknown as PageSource;
    await givenUpBatch(source, ctx, [5], false)?.catch(() => undefined);
    expect(waits).toEqual(['pace']);
    // Read by its envelope once: afterwards its row has its UID alone, and no command waits.
    const again = await givenUpBatch(source, ctx, [5], false);
    expect(again?.messages).toEqual([expect.objectContaining({ uid: 5 })]);
    expect(waits).toEqual(['pace']);
    expect(givenUpBatch(source, ctx, [6], false)).toBeUndefined();
  });
});
