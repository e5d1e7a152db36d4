import { setFlagsFromString } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import { keepHeapLean } from '../../../src/cli/lean-heap.js';
import {
  armYoungCollections,
  socketBytesRead,
  youngCollectionsSoFar,
} from '../../../src/young-collections.js';

const MB = 1024 * 1024;

describe('keepHeapLean', () => {
  // Its flags and its pacing are the process's: V8's defaults (node --v8-options) again and no
  // pacing, so that the test files this worker runs next collect as they would anywhere else.
  afterAll(() => {
    setFlagsFromString('--semi-space-growth-factor=2');
    setFlagsFromString('--heap-growing-percent=0');
    armYoungCollections(0);
  });

  it('paces young collections by the socket bytes read (4 MB), unless IMAP_CONNECTOR_HEAP=v8', () => {
    const before = youngCollectionsSoFar().collections;
    keepHeapLean({ IMAP_CONNECTOR_HEAP: 'v8' });
    socketBytesRead(9 * MB);
    expect(youngCollectionsSoFar().collections).toBe(before);

    keepHeapLean({});
    socketBytesRead(3.9 * MB);
    expect(youngCollectionsSoFar().collections).toBe(before);
    socketBytesRead(0.2 * MB);
    expect(youngCollectionsSoFar().collections).toBe(before + 1);
    socketBytesRead(8 * MB);
    expect(youngCollectionsSoFar().collections).toBe(before + 2);
  });
});
