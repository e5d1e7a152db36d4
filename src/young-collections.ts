/**
 * Young collections paced by the bytes an import reads from its sockets (issue 30, item 1).
 * V8 counts the memory of ArrayBuffers allocated since its last full collection against the
 * old generation's limit, and frees a dead socket Buffer's memory only when a young collection
 * finds it. An import that moves 250 MB/s while allocating little on the heap collects its
 * young generation too seldom for that: between two young collections some 10-20 MB of socket
 * reads wait to be freed, and over the limit's slack that starts a full collection. On the
 * attachment mix that was one every 150 ms (174 in a run), 5 CPU seconds of marking on V8's
 * helper threads. A young collection every few MB read frees them in time and costs about
 * 0.5 ms. Every borrowed socket counts its reads (borrow-socket.ts), the pipe's and a bulk
 * FETCH's alike. Armed only by the CLI's lean heap (cli/lean-heap.ts): a host's process keeps
 * its own collector.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's `gc`: a full collection without options, a young one with `type: 'minor'`. */
export type CollectGarbage = (options?: { type: 'minor' | 'major' }) => void;

let collector: CollectGarbage | undefined;
// 0 until armed: nothing is collected.
let everyBytes = 0;
let sinceLast = 0;
let bytesCounted = 0;
let collections = 0;

/**
 * V8's collector, without a `gc` global: V8 gives it to a context made while --expose-gc is
 * set, only that context gets it, and the flag is unset at once, so no other context or worker
 * thread sees one.
 */
export function v8Collector(): CollectGarbage {
  if (!collector) {
    setFlagsFromString('--expose-gc');
    try {
      collector = runInNewContext('gc') as CollectGarbage;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  return collector;
}

/** From now on, a young collection after every `bytes` read. */
export function armYoungCollections(bytes: number): void {
  v8Collector(); // made now, not at the first collection in the middle of a copy
  everyBytes = bytes;
}

/** Bytes read from a socket; a young collection once `bytes` of them came since the last. */
export function socketBytesRead(bytes: number): void {
  bytesCounted += bytes;
  if (everyBytes === 0) return;
  sinceLast += bytes;
  if (sinceLast < everyBytes) return;
  sinceLast = 0;
  collections++;
  v8Collector()({ type: 'minor' });
}

/** What this process counted and collected so far (how the tests see the pacing used). */
export function youngCollectionsSoFar(): { bytesCounted: number; collections: number } {
  return { bytesCounted, collections };
}
