/**
 * How a page's UIDs are cut into UID FETCHes and in which order they are fetched, with what a
 * read's ReadFaults (read-faults.ts) knows of messages that dropped the connection.
 */
import type { FetchedMessage } from '../fetched-message.js';
import type { RowContext } from '../rows/message-to-row.js';
import type { FetchedBatch } from './assemble-rows.js';
import type { PageSource } from './fetch-batches.js';
import { sleep } from '../sleep.js';
import { proveCarriage } from './prove-carriage.js';
import { DROPPED_ROW } from './read-faults.js';
import { readWhatRemains } from './unreadable-messages.js';

// One UID FETCH per this many messages: few round trips, bounded memory per command.
export const FETCH_BATCH_SIZE = 100;

/**
 * The UIDs in batches of FETCH_BATCH_SIZE (1 with a delay between messages); a message read
 * when the connection dropped before goes alone (read-faults.ts).
 */
export function batchesOf(source: PageSource, uids: number[], ctx: RowContext): number[][] {
  const batchSize = source.config.delayBetweenMessagesMs > 0 ? 1 : FETCH_BATCH_SIZE;
  const alone = (uid: number): boolean =>
    source.readFaults?.readsAlone(ctx.folder, ctx.uidValidity, uid) === true;
  const batches: number[][] = [];
  let current: number[] = [];
  for (const uid of uids) {
    const single = alone(uid);
    if (single || current.length >= batchSize) {
      if (current.length > 0) batches.push(current);
      current = [];
    }
    current.push(uid);
    if (single) {
      batches.push(current);
      current = [];
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Waits before a batch's commands: the delay between messages (not before a page's first),
 * then the run's pace.
 */
export async function waitTurn(source: PageSource, first: boolean): Promise<void> {
  const { session, config } = source;
  if (!first && config.delayBetweenMessagesMs > 0)
    await sleep(config.delayBetweenMessagesMs, session.signal);
  await source.pace.step(session.signal);
}

/**
 * A message given up on (its FETCH dropped the connection until the reconnects would be spent):
 * its row from one lighter FETCH (envelope, flags, date, size: what the operator needs to find
 * it), after its turn (waitTurn), or, when that was tried before, from its UID alone.
 */
export function givenUpBatch(
  source: PageSource,
  ctx: RowContext,
  uids: readonly number[],
  first: boolean,
): Promise<FetchedBatch> | undefined {
  const uid = uids[0]!;
  const faults = source.readFaults;
  if (uids.length !== 1 || !faults?.givenUp(ctx.folder, ctx.uidValidity, uid)) return undefined;
  const batch = (messages: FetchedMessage[]): FetchedBatch => ({
    messages,
    oversized: new Set<number>(),
    wholeSource: new Set<number>(),
    digests: new Map(),
  });
  if (!faults.firstLightRead(ctx.folder, ctx.uidValidity, uid))
    return Promise.resolve(batch([{ uid, problem: DROPPED_ROW } as FetchedMessage]));
  return waitTurn(source, first)
    .then(() => readWhatRemains(source.session, [{ uid, problem: DROPPED_ROW }]))
    .then(batch);
}

/** Awaits a batch's FETCH through the read's ReadFaults, when it has them. */
export function readingOf<T>(
  source: PageSource,
  ctx: RowContext,
  uids: readonly number[],
  work: Promise<T>,
): Promise<T> {
  const place = {
    folder: ctx.folder,
    uidValidity: ctx.uidValidity,
    asError: source.session.asError,
  };
  return source.readFaults ? source.readFaults.reading(place, uids, work) : work;
}

/**
 * The order a page's batches are fetched in: as they come, except when a message that dropped
 * the connection while read alone would be read before any message came through in this run.
 * Then the first batch after it that holds no such message is fetched first: read first, the
 * message could never be given up (nothing would show that the connection carries mail), and a
 * read resumed right before it would fail there run after run. Rows are still made in UID order.
 */
export function fetchOrder(
  source: PageSource,
  ctx: RowContext,
  batches: readonly number[][],
): number[] {
  const order = batches.map((_, b) => b);
  const faults = source.readFaults;
  if (!faults || faults.cameThrough()) return order;
  const suspect = (uids: readonly number[]): boolean =>
    faults.blocksAlone(ctx.folder, ctx.uidValidity, uids);
  const first = batches.findIndex(suspect);
  const proof = batches.findIndex((uids, b) => b > first && !suspect(uids));
  if (first < 0 || proof < 0) return order;
  return [...order.slice(0, first), proof, ...order.slice(first, proof), ...order.slice(proof + 1)];
}

/**
 * When the first batch to fetch (fetchOrder) is still a message that dropped the connection
 * alone before any message came through, the page has nothing to read first: another message
 * of the folder is read to prove the connection (prove-carriage.ts), after the run's pace, so
 * that this one can be given up on and the read does not fail on it run after run.
 * @throws what the proof's commands throw (a drop: the read reconnects)
 */
export async function proveFirst(
  source: PageSource,
  ctx: RowContext,
  batches: readonly number[][],
  order: readonly number[],
): Promise<void> {
  const faults = source.readFaults;
  const suspect = (uids: readonly number[]): boolean =>
    faults?.blocksAlone(ctx.folder, ctx.uidValidity, uids) === true;
  const first = batches[order[0] ?? -1];
  if (!faults || !first || !suspect(first)) return;
  await source.pace.step(source.session.signal);
  const suspects = batches.filter(suspect).flat();
  await proveCarriage(source.session, faults, suspects, source.config.maxMessageSize);
}
