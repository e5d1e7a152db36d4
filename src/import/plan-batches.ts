import { fetchMessages } from '../imap/fetch-messages.js';
import type { LiteralArena } from '../imap/literal-arena.js';
import type { FolderRun } from './folder-run.js';
import { streamAbove } from './streamed-source.js';

/**
 * Source bytes one batch may hold, unless the destination asks for another budget
 * (FolderSink.batchBytes): with the next batch fetched while this one is stored, an import holds
 * about twice this much mail whatever its sizes (a message larger than it goes alone), and the
 * slabs of a third batch whose last step is in flight (literal-arena.ts). 4 MB, not
 * 16: peak RSS of the 10,000-message import 152-159 MB instead of 160-189, at the same speed
 * (docs/performance.md, 2026-12-04 night).
 */
export const IMPORT_BATCH_BYTES = 4 * 1024 * 1024;
/**
 * Source bytes per batch copied through the pipe (piped-batch.ts), which holds none of them:
 * the bound is what one fault sends again, and a batch's headers and intents.
 */
export const PIPED_BATCH_BYTES = 32 * 1024 * 1024;
// UIDs per RFC822.SIZE FETCH when planning the batches: a bounded answer for any folder.
const SIZES_PER_FETCH = 5000;

/** Each UID's size (RFC822.SIZE); a message gone meanwhile is left out. */
async function sizesOf(run: FolderRun, uids: readonly number[]): Promise<Map<number, number>> {
  const sizes = new Map<number, number>();
  for (let i = 0; i < uids.length; i += SIZES_PER_FETCH) {
    const { messages } = await fetchMessages(run.job.session, uids.slice(i, i + SIZES_PER_FETCH), {
      uid: true,
      size: true,
    });
    for (const message of messages) sizes.set(message.uid, message.size ?? 0);
  }
  return sizes;
}

/** A batch to read: its UIDs, and those over maxMessageSize, which are never downloaded. */
export interface PlannedBatch {
  uids: number[];
  oversized: Set<number>;
  /** One message larger than a batch, to stream to the destination (streamed-source.ts). */
  streams?: true;
  /** Where its literals are copied to, when the destination lets go of them once stored. */
  arena?: LiteralArena;
}

/**
 * The UIDs in batches of at most `count` messages and the byte budget (a batch of 100 with
 * attachments of a few MB each held 350 MB). The sizes also say which messages are over
 * maxMessageSize: they count as nothing, as they are never downloaded. A message larger than
 * a batch is a batch of its own, streamed when the destination can take it so. `piped`:
 * batches for the pipe, which holds no message, so none streams on its own.
 */
export async function batchesOf(
  run: FolderRun,
  uids: number[],
  count: number,
  piped = false,
): Promise<PlannedBatch[]> {
  if (uids.length === 0) return [];
  const sizes = await sizesOf(run, uids);
  const max = run.job.config.maxMessageSize;
  const budget = piped ? PIPED_BATCH_BYTES : (run.job.sink.batchBytes ?? IMPORT_BATCH_BYTES);
  const streamsOver = piped ? undefined : streamAbove(run, budget);
  const batches: PlannedBatch[] = [];
  let current: PlannedBatch = { uids: [], oversized: new Set() };
  let bytes = 0;
  const { readFaults } = run.job;
  for (const uid of uids) {
    const size = sizes.get(uid) ?? 0;
    const streams = streamsOver !== undefined && size > streamsOver && size <= max;
    // Alone: too large to share a batch, or read when the source's connection dropped.
    if (streams || readFaults.readsAlone(run.path, run.uidValidity, uid)) {
      if (current.uids.length > 0) batches.push(current);
      const oversized = new Set(size > max ? [uid] : []);
      batches.push({ uids: [uid], oversized, ...(streams ? { streams: true as const } : {}) });
      current = { uids: [], oversized: new Set() };
      bytes = 0;
      continue;
    }
    const held = size > max ? 0 : size;
    if (current.uids.length > 0 && (current.uids.length >= count || bytes + held > budget)) {
      batches.push(current);
      current = { uids: [], oversized: new Set() };
      bytes = 0;
    }
    current.uids.push(uid);
    if (size > max) current.oversized.add(uid);
    bytes += held;
  }
  if (current.uids.length > 0) batches.push(current);
  return batches;
}
