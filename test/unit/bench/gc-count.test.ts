import { describe, expect, it } from 'vitest';
import { countCollections } from '../../../scripts/bench/gc-count.js';
import { v8Collector } from '../../../src/young-collections.js';

describe('gc-count', () => {
  it('counts young and full collections, as Node reports them', async () => {
    const counted = countCollections();
    // Short-lived garbage: young collections only.
    let kept: object[] = [];
    for (let i = 0; i < 3_000_000; i++) {
      kept.push({ i });
      if (kept.length > 1000) kept = [];
    }
    const gc = v8Collector();
    gc();
    gc();
    // Node reports a collection from a later turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { young, full, pauseMs } = counted();
    expect(young).toBeGreaterThan(0);
    expect(full).toBeGreaterThanOrEqual(2);
    expect(pauseMs).toBeGreaterThan(0);
  });
});
