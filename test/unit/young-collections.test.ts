import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { countCollections } from '../../scripts/bench/gc-count.js';
import {
  armYoungCollections,
  socketBytesRead,
  youngCollectionsSoFar,
} from '../../src/young-collections.js';

const MB = 1024 * 1024;

describe('young collections paced by socket bytes', () => {
  // The pacing is the process's: disarmed again for the test files this worker runs next.
  afterAll(() => armYoungCollections(0));

  it('counts bytes and collects nothing until armed; armed, one young collection per step, and no gc global anywhere; disarmed by 0', async () => {
    const before = youngCollectionsSoFar();
    socketBytesRead(10 * MB);
    expect(youngCollectionsSoFar()).toEqual({
      bytesCounted: before.bytesCounted + 10 * MB,
      collections: before.collections,
    });

    armYoungCollections(MB);
    const observed = countCollections();
    socketBytesRead(0.6 * MB);
    expect(youngCollectionsSoFar().collections).toBe(before.collections);
    socketBytesRead(0.6 * MB);
    socketBytesRead(0.6 * MB);
    expect(youngCollectionsSoFar().collections).toBe(before.collections + 1);
    // A real young collection ran (V8's own count), not only a counter moved. Node reports a
    // collection from a later turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(observed().young).toBeGreaterThanOrEqual(1);

    // The collector stays inside the context made for it: not in this one, nor in later ones.
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    expect(runInNewContext('typeof gc')).toBe('undefined');

    // Armed with 0, nothing is paced any more.
    armYoungCollections(0);
    const disarmed = youngCollectionsSoFar().collections;
    socketBytesRead(10 * MB);
    expect(youngCollectionsSoFar().collections).toBe(disarmed);
  });
});
