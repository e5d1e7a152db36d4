/**
 * A batch copied without holding its messages (issue 30, item 1): the headers first, which
 * give the dedupe keys, so duplicates are settled and intents written before any byte is
 * appended; then one FETCH of the bodies piped into the destination's MULTIAPPEND
 * (imap/pipe-appends.ts). Whatever the pipe did not store (no Message-ID in the header, a
 * command the destination refused, a message the source did not give) is left to be read
 * whole, the way that knows every per-message failure.
 */
import type { FetchQueryObject } from 'imapflow';
import { fetchMessages } from '../imap/fetch-messages.js';
import type { NamedPipeResult, Pipe, PipedMessage } from '../imap/pipe-appends.js';
import { BatchDedupe, identifyHead, type MessageIdentity } from '../write/message-identity.js';
import { importStopped, settle, type FolderRun } from './folder-run.js';
import { READ_AFTER } from './job-state.js';
import type { PlannedBatch } from './plan-batches.js';
import { internalDateOf } from '../fetched-message.js';
import { tallyCopiedFlags } from './flags-left-out.js';
import { finishCarried, recordCopied, writeIntents, type StepCarry } from './store-batch.js';

// IMAP_CONNECTOR_PIPE=off copies every batch by reading it whole first, should a server's
// answers ever trip the pipe (read at each folder: the tests of the other path set it).
const pipeSwitchedOn = (): boolean => process.env.IMAP_CONNECTOR_PIPE !== 'off';

const HEADS: FetchQueryObject = {
  uid: true,
  flags: true,
  internalDate: true,
  size: true,
  headers: true,
};

type Head = PipedMessage & { identity: MessageIdentity };

/**
 * Whether this folder's batches are piped: a destination that can, dedupe by Message-ID (the
 * keys are in the header), no row kept and no delay between messages. A post-read action is
 * taken on each batch once the destination confirmed it (PipeCarry).
 */
export function pipes(run: FolderRun): boolean {
  const { sink, mode, keepsRows, config } = run.job;
  return (
    pipeSwitchedOn() &&
    sink.pipe !== undefined &&
    sink.contentHashOptionalWithId === true &&
    mode === 'message-id' &&
    !keepsRows &&
    config.delayBetweenMessagesMs === 0
  );
}

/**
 * Copies a planned batch through the pipe. The messages it leaves by design (no Message-ID in
 * the header, ...) are listed first, unless `listed` (as failed) already, so that settling the
 * rest cannot move the checkpoint past them; those it meant to store have intents. Once the
 * source has given the bodies, the destination's last answers are left in `carry` (settled
 * before the next batch's pipe, or by the caller), so the next batch's headers are read
 * meanwhile. What it leaves, to be read whole, is added to `left` (also by the carried part).
 * With a post-read action, what the destination confirmed is acted on once the source is
 * free: a batch's copies during the next batch's pipe, the last ones by the caller.
 * @throws ABORTED before the batch; the fatal error of the pipe (either side's connection)
 *   once what it stored is settled: the batch's own when its writes stopped, else the carried
 *   batch's
 */
export async function pipeBatch(
  run: FolderRun,
  planned: PlannedBatch,
  listed: ReadonlySet<number>,
  carry: PipeCarry,
  left: number[],
): Promise<void> {
  const { session, sink, signal } = run.job;
  await run.job.pace.step(signal);
  if (signal?.aborted) throw importStopped();
  const heads = await headsOf(run, planned);
  const present = heads.length > 0 ? await sink.contains(heads.map((h) => h.identity)) : [];
  const dedupe = new BatchDedupe(run.job.mode);
  const duplicates = heads.filter((head, i) => dedupe.isDuplicate(head.identity, present[i]!));
  const toStore = heads.filter((head) => !duplicates.includes(head));
  left.push(...(await listUnpiped(run, planned, heads, listed)));
  await settlePiped(run, duplicates, duplicates, carry);
  await writeIntents(run, toStore);
  if (toStore.length === 0) return actOnOwed(run, carry);
  // The batch before is settled once this one's bodies are on their way: its last answers
  // come meanwhile, and the destination never waits between the two.
  const earlier: StepCarry = { pending: carry.pending };
  carry.pending = undefined;
  try {
    const pipe = await sink.pipe!(session, toStore);
    const answered = (): Promise<void> => settleAnswered(run, toStore, pipe, left, carry);
    await finishCarried(earlier);
    if (pipe.stopped) await answered();
    else carry.pending = answered;
    // The pipe's FETCH has ended, so the source session is free: the batch before is acted on
    // now, while the destination answers this one.
    await actOnOwed(run, carry);
  } finally {
    await finishCarried(earlier).catch(() => undefined);
  }
}

/**
 * What a batch leaves to the next: the destination's last answers (StepCarry), and the
 * messages the destination confirmed whose post-read action is still to be taken. Those are
 * owed in the state already, so an action never taken here is taken by the next run.
 */
export interface PipeCarry extends StepCarry {
  owed: number[];
}

/**
 * Takes the post-read action on what the destination confirmed so far. Only while the source
 * session is free: between the pipe's FETCHes, or once the folder's pipe is over.
 */
export async function actOnOwed(run: FolderRun, carry: PipeCarry): Promise<void> {
  if (carry.owed.length > 0) await settle(run, carry.owed.splice(0));
}

/** The batch's messages the pipe does not take, listed (unless `listed` already) to be read whole. */
async function listUnpiped(
  run: FolderRun,
  planned: PlannedBatch,
  heads: readonly Head[],
  listed: ReadonlySet<number>,
): Promise<number[]> {
  const piped = new Set(heads.map((head) => head.uid));
  const unpiped = planned.uids.filter((uid) => !piped.has(uid));
  const unlisted = unpiped.filter((uid) => !listed.has(uid));
  if (unlisted.length > 0) {
    const failed = unlisted.map((uid) => ({ uid, ...READ_AFTER }));
    await run.job.state.listFailed(run.path, run.uidValidity, failed);
  }
  return unpiped;
}

/**
 * A pipe's outcome once the destination answered: what it stored settled, what it did not
 * added to `left`; after a fault, what is known unsent requeued, and the fault thrown.
 */
async function settleAnswered(
  run: FolderRun,
  toStore: readonly Head[],
  pipe: Pipe<NamedPipeResult>,
  left: number[],
  carry: PipeCarry,
): Promise<void> {
  const result = await pipe.answered;
  const stored = toStore.filter((head) => result.stored.has(head.uid));
  await settlePiped(run, stored, [], carry);
  if (result.fatal) {
    // Known not stored: no intent of theirs stays to be checked at the destination, and they
    // are listed to be copied again whatever the checkpoint (before a drop's own listing,
    // which then stands).
    for (const uid of result.fatal.unsent)
      await run.job.state.requeueIntent(run.path, run.uidValidity, uid);
    throw run.job.signal?.aborted ? importStopped() : result.fatal.error;
  }
  left.push(...toStore.filter((head) => !result.stored.has(head.uid)).map((head) => head.uid));
}

/**
 * Each message's flags, date, size and dedupe keys, from its header. Left out (so read
 * whole): messages over maxMessageSize, listed as unreadable before, without a Message-ID in
 * the header, or whose FETCH failed.
 */
async function headsOf(run: FolderRun, planned: PlannedBatch): Promise<Head[]> {
  const wanted = planned.uids.filter(
    (uid) => !planned.oversized.has(uid) && !run.readWhole?.has(uid),
  );
  const { messages } = await fetchMessages(run.job.session, wanted, HEADS);
  const heads: Head[] = [];
  for (const message of messages.sort((a, b) => a.uid - b.uid)) {
    const identity = message.headers ? identifyHead(message.headers) : undefined;
    if (!identity || message.size === undefined) continue;
    heads.push({
      uid: message.uid,
      flags: [...(message.flags ?? [])],
      internalDate: internalDateOf(message),
      size: message.size,
      identity,
    });
  }
  return heads;
}

/**
 * Records messages now at the destination (copied, or `duplicates` already there) in one
 * transaction and in the result, with their post-read action owed (in the state and in
 * `carry`) when there is one. Intents make this safe in any order: a message of the batch not
 * yet settled has one, checked by the next run whatever the checkpoint.
 */
async function settlePiped(
  run: FolderRun,
  heads: readonly Head[],
  duplicates: readonly Head[],
  carry: PipeCarry,
): Promise<void> {
  if (heads.length === 0) return;
  const { result } = run;
  const uids = heads.map((head) => head.uid);
  result.seen += heads.length;
  result.duplicates += duplicates.length;
  result.copied += heads.length - duplicates.length;
  // Called with copies only, or with duplicates only (then nothing was copied).
  if (duplicates.length === 0) {
    result.bytes += heads.reduce((sum, head) => sum + head.size, 0);
    tallyCopiedFlags(result, heads);
  }
  await recordCopied(run, heads, uids);
  await run.job.state.settle(run.path, run.uidValidity, uids, [], run.acting);
  if (run.acting) carry.owed.push(...uids);
  run.job.onProgress?.(result);
}
