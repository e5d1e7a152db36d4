import type { FolderInfo } from '../folder-info.js';
import type { FetchQueryObject } from 'imapflow';
import { fetchMessages } from '../imap/fetch-messages.js';
import { LiteralArena, SlabPool } from '../imap/literal-arena.js';
import { batchesOf, type PlannedBatch } from './plan-batches.js';
import { fetchToStream, type ImportedMessage } from './streamed-source.js';
import type { FailedFetch } from '../imap/match-fetch-responses.js';
import type { MessageProblem } from '../message-limits.js';
import { uidsAbove } from '../imap/uid-search.js';
import { uidValidityOf } from '../imap/uid-validity.js';
import { withMailbox } from '../imap/with-mailbox.js';
import { proveCarriage } from '../read/prove-carriage.js';
import {
  deleteAged,
  notingDrops,
  recordUnread,
  settle,
  type FolderJob,
  type FolderRun,
} from './folder-run.js';
import { emptyFolderResult, type FolderImportResult } from './import-result.js';
import { finishCarried, storeBatch, type StepCarry } from './store-batch.js';
import { syncFlags } from './flag-sync.js';
import { noteCopiesLeftOut } from './flags-left-out.js';
import { mirrorDeletions } from './mirror-deletions.js';
import { DROPPED, READ_WHOLE } from './job-state.js';
import { actOnOwed, pipeBatch, pipes, type PipeCarry } from './piped-batch.js';

export type { FolderJob } from './folder-run.js';

/** One batch read from the source: what was asked, what came, and what could not be read. */
interface FetchedBatch {
  wanted: number[];
  batch: ImportedMessage[];
  /** Messages whose FETCH failed for them alone, even without their structure, and why. */
  unread: FailedFetch[];
  oversized: number[];
}
/**
 * Copies one source folder: settles what an interrupted run left (pending post-read actions,
 * APPEND intents), retries messages that failed last time, then reads everything above the
 * last recorded UID in batches of maxQueueDepth and stores each message the destination lacks.
 * Post-read actions run per batch, only on messages the destination holds. The folder is
 * EXAMINEd, or SELECTed when there is a post-read action.
 */
export async function importFolder(
  job: FolderJob,
  folder: FolderInfo,
  result: FolderImportResult = emptyFolderResult(folder.path, job.sink.destination),
): Promise<FolderImportResult> {
  const started = Date.now();
  const acting = job.postReadAction.type !== 'none';
  try {
    return await withMailbox(job.session, folder.path, !acting, async () => {
      const run: FolderRun = {
        job,
        path: folder.path,
        uidValidity: uidValidityOf(job.session),
        result,
        acting,
      };
      await startFolder(run);
      await recoverLeftovers(run);
      await deleteAged(run);
      await mirrorDeletions(run);
      await syncFlags(run);
      const { uids, retrying } = await uidsToCopy(run);
      await copyInBatches(run, uids, retrying);
      await noteCopiesLeftOut(run);
      return result;
    });
  } finally {
    result.elapsedMs += Date.now() - started;
  }
}

/** A folder seen for the first time, or renumbered (UIDVALIDITY changed): start it over. */
async function startFolder(run: FolderRun): Promise<void> {
  const { state } = run.job;
  const previous = await state.progress(run.path);
  if (previous && previous.uidValidity === run.uidValidity) return;
  if (previous)
    run.result.uidValidityChanged = { previous: previous.uidValidity, current: run.uidValidity };
  await state.resetFolder(run.path, run.uidValidity);
}

/**
 * What an interrupted run left: APPENDs that may have landed, post-read actions still owed.
 * An APPEND that did not land is copied again with the failed messages, whatever the checkpoint.
 * One that did is owed its action too, taken now with the others: a run that reconnected
 * after a cut does not end with copies it still owes an action.
 */
async function recoverLeftovers(run: FolderRun): Promise<void> {
  const { state, sink } = run.job;
  for (const intent of await state.intents(run.path, run.uidValidity)) {
    if (await sink.confirm(intent.identity)) {
      await state.complete(run.path, run.uidValidity, intent.uid, run.acting);
      run.result.recovered++;
    } else await state.requeueIntent(run.path, run.uidValidity, intent.uid);
  }
  await settle(run, await state.pendingActions(run.path, run.uidValidity));
}

/** Failed messages to retry, then everything above the checkpoint that the query matches, within LIMIT. */
async function uidsToCopy(run: FolderRun): Promise<{ uids: number[]; retrying: Set<number> }> {
  const { state, session, plan, budget, readFaults } = run.job;
  const lastUid = (await state.progress(run.path))?.lastUid ?? 0;
  const failed = await state.failed(run.path, run.uidValidity);
  const retry = failed.map((failure) => failure.uid);
  run.readWhole = new Set(failed.filter((f) => f.code === READ_WHOLE.code).map((f) => f.uid));
  const dropped = failed.filter((f) => f.message === DROPPED.message).map((f) => f.uid);
  readFaults.readAlone(run.path, run.uidValidity, dropped);
  const fresh = await uidsAbove(session, plan.attributes, lastUid);
  // A listed failure may also lie above the checkpoint: each UID is read once. Messages that
  // dropped the connection come last, so the rest shows the connection can carry mail (a
  // drop then counts against the message: read-faults.ts); given up on in this run, not read.
  const last = new Set(dropped);
  const pending = [...new Set([...retry, ...fresh].filter((uid) => !last.has(uid))), ...dropped];
  const uids = pending
    .filter((uid) => !readFaults.givenUp(run.path, run.uidValidity, uid))
    .slice(0, budget.remaining);
  // Only such messages left, and nothing came through yet: read them after the other folders;
  // there, one other message of this folder, read whole, shows the connection carries mail
  // (prove-carriage.ts).
  const onlyDropped =
    uids.length > 0 && uids.every((uid) => last.has(uid)) && !readFaults.cameThrough();
  const deferred = run.job.deferDropped;
  if (onlyDropped && deferred) {
    deferred.add(run.path);
    return { uids: [], retrying: new Set() };
  }
  if (onlyDropped) {
    await run.job.pace.step(run.job.signal);
    await proveCarriage(session, readFaults, dropped, run.job.config.maxMessageSize);
  }
  budget.remaining -= uids.length;
  return { uids, retrying: new Set(retry) };
}

/**
 * Reads a batch: the first chunk of a message to stream (streamed-source.ts), or, when it
 * cannot stream after all, and for every other batch, the whole sources (readBatch).
 */
function fetchBatch(run: FolderRun, planned: PlannedBatch): Promise<FetchedBatch> {
  const fetching = (async (): Promise<FetchedBatch> => {
    const streamed = planned.streams ? await fetchToStream(run, planned.uids[0]!) : undefined;
    if (!streamed) return readBatch(run, planned);
    return { wanted: planned.uids, batch: [streamed], unread: [], oversized: [] };
  })();
  // The destination may start on the batch's sources (the archive compresses them) while the
  // batch before it is still being stored.
  fetching.then(
    (fetched) =>
      run.job.sink.expect?.(
        fetched.batch.flatMap((m) => (m.source && !m.streamed ? [m.source] : [])),
      ),
    () => undefined, // awaited by the caller; never an unhandled rejection meanwhile
  );
  return fetching;
}

/**
 * A batch read whole, each source in memory (in the batch's arena, if it has one). Messages
 * over maxMessageSize are never downloaded, each fails on its own. A message whose FETCH
 * failed alone (a structure that breaks the grammar, a refusal, an answer without every item)
 * is asked for once more with only what the destination cannot do without (issue 24): its
 * bytes still reach the destination, its row carries the problem.
 */
async function readBatch(run: FolderRun, planned: PlannedBatch): Promise<FetchedBatch> {
  const { session, fetchQuery } = run.job;
  const { uids: wanted, oversized, arena } = planned;
  const fetch = (uids: number[], query: FetchQueryObject) =>
    fetchMessages(session, uids, query, { allocate: arena?.allocate });
  const first = await fetch(
    wanted.filter((uid) => !oversized.has(uid)),
    fetchQuery,
  );
  const failures = [
    ...first.failed,
    ...first.incomplete.map((uid) => ({ uid, problem: INCOMPLETE })),
  ];
  const again = await fetch(
    failures.map((failure) => failure.uid),
    lighterQuery(fetchQuery),
  );
  const problems = new Map(failures.map((failure) => [failure.uid, failure.problem]));
  const recovered = again.messages.map((message) => ({
    ...message,
    problem: problems.get(message.uid)!,
  }));
  const unread = [...again.failed.map((f) => f.uid), ...again.incomplete].map((uid) => ({
    uid,
    problem: problems.get(uid)!,
  }));
  const batch = [...first.messages, ...recovered].sort((a, b) => a.uid - b.uid);
  return { wanted, batch, unread, oversized: [...oversized] };
}

const INCOMPLETE: MessageProblem = {
  code: 'MESSAGE_UNAVAILABLE',
  message: 'The server sent the message without its content; it is fetched again next run.',
};

/** What a destination needs of a message, without the structure or headers rows are made from. */
function lighterQuery(query: FetchQueryObject): FetchQueryObject {
  return {
    uid: true,
    flags: true,
    internalDate: true,
    size: true,
    source: true,
    ...(query.envelope ? { envelope: true } : {}),
  };
}

/**
 * The copy: through the pipe where the folder can (piped-batch.ts), each batch's leftovers
 * read whole; else every batch read whole.
 */
async function copyInBatches(
  run: FolderRun,
  uids: number[],
  retrying: ReadonlySet<number>,
): Promise<void> {
  if (!pipes(run)) return copyReadingWhole(run, uids, retrying);
  const { config } = run.job;
  const count = Math.min(config.maxQueueDepth, config.pageSize);
  // What the pipe leaves is read whole at the folder's end: a few round trips, not a few per batch.
  const left: number[] = [];
  const carry: PipeCarry = { owed: [] };
  try {
    for (const planned of await batchesOf(run, uids, count, true))
      await notingDrops(run, planned.uids, pipeBatch(run, planned, retrying, carry, left));
    await finishCarried(carry);
    await actOnOwed(run, carry);
  } finally {
    // Never leave the folder with the destination's answers still to come, or its socket lent.
    await finishCarried(carry).catch(() => undefined);
    // After a failure, still act on what the destination confirmed, if the source lets us.
    await actOnOwed(run, carry).catch(() => undefined);
    await run.job.sink.pipesSettled?.();
  }
  // Each of them is listed now (or was): one gone from the source meanwhile is no longer owed.
  await copyReadingWhole(run, left, new Set([...retrying, ...left]));
}

/**
 * The copy loop of batches read whole. Without post-read actions the source session is free
 * while a batch is stored, so the next batch is fetched meanwhile (at most one batch waits:
 * bounded memory).
 * For a destination that lets go of the sources once stored, each batch's literals live in an
 * arena whose slabs the batches after it reuse (imap/literal-arena.ts).
 */
async function copyReadingWhole(
  run: FolderRun,
  uids: number[],
  retrying: ReadonlySet<number>,
): Promise<void> {
  const { config } = run.job;
  const batches = await batchesOf(run, uids, Math.min(config.maxQueueDepth, config.pageSize));
  // Without post-read actions a batch's last step stays in flight while the next one is read
  // and prepared; it is finished before the folder is left, on every path.
  const carry: StepCarry | undefined = run.acting ? undefined : {};
  giveArenas(run, batches);
  const read = (b: number): Promise<FetchedBatch> => fetchBatch(run, batches[b]!);
  let next = batches.length > 0 ? read(0) : undefined;
  try {
    for (let b = 0; b < batches.length; b++) {
      const fetched = await notingDrops(run, batches[b]!.uids, next!);
      const more = b + 1 < batches.length;
      // A streamed message is read from the source session while it is stored: nothing else
      // uses that session meanwhile, and the steps around it are finished, not carried.
      const streaming = fetched.batch.some((message) => message.streamed);
      next = more && !run.acting && !streaming ? read(b + 1) : undefined;
      await noteUnread(run, fetched, retrying);
      if (streaming) await finishCarried(carry);
      const storing = storeAndSettle(run, fetched.batch, b === 0, streaming ? undefined : carry);
      await (streaming ? notingDrops(run, batches[b]!.uids, storing) : storing);
      // Stored, and the step the batch before left in flight is finished: nothing reads that
      // batch's sources any more. (On a failure nothing is released: the memory goes to GC.)
      if (b > 0) batches[b - 1]!.arena?.release();
      if (more && !next) next = read(b + 1);
    }
    await finishCarried(carry);
    batches.at(-1)?.arena?.release();
  } finally {
    // Never leave the folder (and its lock) with a FETCH or an APPEND still running.
    await next?.catch(() => undefined);
    await finishCarried(carry).catch(() => undefined);
  }
}

/** An arena for each batch, sharing a pool, when the destination lets go of the sources once stored. */
function giveArenas(run: FolderRun, batches: PlannedBatch[]): void {
  if (run.job.sink.releasesSources !== true) return;
  const pool = new SlabPool();
  for (const batch of batches) batch.arena = new LiteralArena(pool);
}

/** A batch's messages that were not read; retried failures gone from the source are no longer owed. */
async function noteUnread(
  run: FolderRun,
  fetched: FetchedBatch,
  retrying: ReadonlySet<number>,
): Promise<void> {
  const answered = new Set([
    ...fetched.batch.map((message) => message.uid),
    ...fetched.unread.map((failure) => failure.uid),
    ...fetched.oversized,
  ]);
  await run.job.state.forgetFailed(
    run.path,
    run.uidValidity,
    fetched.wanted.filter((uid) => retrying.has(uid) && !answered.has(uid)),
  );
  for (const { uid, problem } of fetched.unread)
    await recordUnread(run, [uid], problem.code, problem.message);
  await recordUnread(
    run,
    fetched.oversized,
    'MESSAGE_TOO_LARGE',
    `The message is larger than maxMessageSize (${run.job.config.maxMessageSize} bytes); raise it to copy this message.`,
  );
}

/** Stores a batch, then acts on what the destination holds, also when storing failed midway. */
async function storeAndSettle(
  run: FolderRun,
  batch: ImportedMessage[],
  first: boolean,
  carry: StepCarry | undefined,
): Promise<void> {
  const settled: number[] = [];
  try {
    await storeBatch(run, batch, first, settled, carry);
  } catch (error) {
    // The destination failed (full, gone): still act on what it confirmed, if the source lets
    // us; what cannot be done now stays pending in the state for the next run.
    await settle(run, settled).catch(() => undefined);
    throw error;
  }
  await settle(run, settled);
}
