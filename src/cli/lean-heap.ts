/**
 * V8's heap for a process that copies mail between accounts. The pipe moves an import's bytes
 * in Buffers outside V8's heap and allocates little on it, yet V8 sizes the heap for a program
 * that keeps what it allocates:
 * - it grows the young generation to its maximum (32 MB on Node 20, 64 on Node 24) as a long
 *   run's survivors add up, and a written socket chunk's memory comes back only when a
 *   scavenge finds it dead;
 * - after each full collection it lets the old generation grow to up to 4 times what was
 *   live, and a long run's promoted garbage fills it.
 * Held (the young generation at 2 MB, the old one let grow to twice what was live), an
 * import's peak RSS was 99-103 MB instead of 105-119 on the bench's 10,000 messages and
 * 147-151 instead of 185-215 at 100,000, its time within the runs' noise; the attachment mix
 * took 4-9% longer for a few MB less. A batch into accounts held 102-112 MB instead of
 * 134-155, in about the same time (docs/performance.md, 2026-12-06, night); a queue's worker
 * 99-112 MB instead of 132-145, and no slower (2026-12-06, night, later). The socket reads
 * pace young collections too (young-collections.ts): on the attachment mix 8 full collections
 * instead of 157-191, 3.5 CPU seconds less on V8's helper threads (2026-12-07, day); on the
 * batch path 137 instead of 408-415, 10-20% less time. With that, the old generation grows
 * by half, no longer by twice: 3-7 MB less in the same time (2026-12-07, afternoon).
 */
import { setFlagsFromString } from 'node:v8';
import { usageError } from './usage-error.js';
import { armYoungCollections } from '../young-collections.js';

export const HEAP_ENV = 'IMAP_CONNECTOR_HEAP';

/**
 * How much the old generation may grow past what the last full collection left live, in
 * percent. V8's own factor goes up to 300. 50 held 3-7 MB less than 100 (100 MB instead of 107
 * at 100,000 messages) in the same time; before the young collections were paced, 20 and 50
 * made the attachment mix 5-33% slower, as the socket Buffers waiting to be freed started
 * full collections (docs/performance.md, 2026-12-07, afternoon).
 */
export const OLD_GENERATION_GROWTH_PERCENT = 50;

/**
 * Socket bytes an import reads between two young collections (young-collections.ts): with
 * fewer, the Buffers waiting to be freed started a full collection every 150 ms on the
 * attachment mix; 4 MB brought that to 8 per run.
 */
const YOUNG_COLLECTION_EVERY_BYTES = 4 * 1024 * 1024;

/**
 * Keeps V8's heap lean from now on, and paces young collections by the socket bytes read,
 * unless the environment says `v8`. V8 reads both flags each
 * time it would grow a generation, so they take effect at run time; the size flags are fixed
 * at start-up and NODE_OPTIONS refuses these. Starting a worker thread resets the young
 * generation's (the archive's packer does), so the archive's import does not call this; a
 * queue's worker does, as its jobs copy into accounts only. Only from the process's own entry
 * point: a host that loads the connector keeps its heap.
 */
export function keepHeapLean(env: Record<string, string | undefined>): void {
  const wanted = env[HEAP_ENV];
  if (wanted !== undefined && wanted !== 'lean' && wanted !== 'v8')
    throw usageError(
      `/env/${HEAP_ENV}`,
      `${HEAP_ENV} must be lean (the default for copies into accounts) or v8, got ${JSON.stringify(wanted)}`,
    );
  if (wanted === 'v8') return;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
  armYoungCollections(YOUNG_COLLECTION_EVERY_BYTES);
}

/**
 * The same, at the process's start, for a command line that copies into accounts: an import
 * with --target, or a queue's worker (a queued batch into the archive is refused). Loading the
 * import's modules alone grows the young generation to 8 MB. A value it does not know is left
 * for the command to report.
 */
export function keepHeapLeanFromStart(
  argv: string[],
  env: Record<string, string | undefined>,
): void {
  const importIntoAccount =
    argv[0] === 'import' && argv.some((arg) => arg === '--target' || arg.startsWith('--target='));
  if (!importIntoAccount && argv[0] !== 'worker') return;
  try {
    keepHeapLean(env);
  } catch {
    // The command validates the variable again and says what is wrong.
  }
}
