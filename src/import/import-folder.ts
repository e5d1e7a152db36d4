import { sleep } from '../sleep.js';
import type { FetchQueryObject } from 'imapflow';
import type { Config } from '../config/validate-config.js';
import { makeError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import { withCommandDeadline } from '../imap/command-deadline.js';
import type { Session } from '../imap/open-session.js';
import { fetchMessages } from '../imap/fetch-messages.js';
import { uidValidityOf } from '../imap/uid-validity.js';
import { uidSearch } from '../imap/uid-search.js';
import type { BulkMessage } from '../imap/fetch-response-parser.js';
import { oversizedAmong } from '../imap/oversized.js';
import type { ReadPlan } from '../read/prepare-read.js';
import { messageToRow, type RowContext } from '../rows/message-to-row.js';
import type { FolderSink, SourceMessage } from '../sinks/sink.js';
import { dedupeKey, identify, type DedupeMode } from '../write/message-identity.js';
import { emptyFolderResult, type FailedMessage, type FolderImportResult } from './import-result.js';
import type { ImportState } from './import-state.js';
import { applyPostReadAction, type PostReadAction } from './post-read-action.js';

export interface FolderJob {
  session: Session;
  config: Config;
  plan: ReadPlan;
  state: ImportState;
  sink: FolderSink;
  postReadAction: PostReadAction;
  fetchQuery: FetchQueryObject;
  /** Build each message's row (the destination keeps it). */
  keepsRows: boolean;
  mode: DedupeMode;
  /** Messages still allowed by the query's LIMIT, shared across folders. */
  budget: { remaining: number };
  signal: AbortSignal | undefined;
  onProgress: ((result: FolderImportResult) => void) | undefined;
}

/**
 * Copies one source folder: settles what an interrupted run left (pending post-read actions,
 * APPEND intents), retries messages that failed last time, then reads everything above the
 * last recorded UID in batches of maxQueueDepth and stores each message the destination lacks.
 * Post-read actions run per batch, only on messages the destination holds.
 */
export async function importFolder(
  job: FolderJob,
  folder: FolderInfo,
): Promise<FolderImportResult> {
  const started = Date.now();
  const { session, state, sink, config, postReadAction } = job;
  const result = emptyFolderResult(folder.path, sink.destination);
  const acting = postReadAction.type !== 'none';
  const lock = await withCommandDeadline(session, `SELECT ${JSON.stringify(folder.path)}`, () =>
    session.client.getMailboxLock(folder.path, {
      readOnly: !acting,
      acquireTimeout: config.timeout,
    }),
  );
  try {
    const uidValidity = uidValidityOf(session);
    const previous = state.progress(folder.path);
    if (!previous || previous.uidValidity !== uidValidity) {
      if (previous)
        result.uidValidityChanged = { previous: previous.uidValidity, current: uidValidity };
      state.resetFolder(folder.path, uidValidity);
    }
    await settle(job, folder.path, uidValidity, state.pendingActions(folder.path, uidValidity));
    for (const intent of state.intents(folder.path, uidValidity)) {
      if (await sink.confirm(intent.identity)) {
        state.complete(folder.path, uidValidity, intent.uid, acting);
        result.recovered++;
      } else state.dropIntent(folder.path, uidValidity, intent.uid);
    }
    const lastUid = state.progress(folder.path)?.lastUid ?? 0;
    const retry = state.failed(folder.path, uidValidity).map((failure) => failure.uid);
    const retrying = new Set(retry);
    const attributes = [
      ...job.plan.attributes,
      { type: 'ATOM' as const, value: 'UID' },
      { type: 'SEQUENCE' as const, value: `${lastUid + 1}:*` },
    ];
    // "UID n:*" also matches the highest UID when n is above it (RFC 3501 section 6.4.8), so filter.
    const fresh = (
      await uidSearch(session.client, attributes, session.errorContext, session.logger)
    ).filter((uid) => uid > lastUid);
    // A listed failure may also lie above the checkpoint: each UID is read once.
    const uids = [...new Set([...retry, ...fresh])].slice(0, job.budget.remaining);
    job.budget.remaining -= uids.length;
    const batchSize = Math.min(config.maxQueueDepth, config.pageSize);
    const fetchBatch = (
      from: number,
    ): Promise<{
      wanted: number[];
      batch: BulkMessage[];
      incomplete: number[];
      oversized: number[];
    }> => {
      const wanted = uids.slice(from, from + batchSize);
      const fetching = (async () => {
        // Messages over maxMessageSize are never downloaded; each fails on its own.
        const oversized = await oversizedAmong(session, wanted, config.maxMessageSize);
        const { messages, incomplete } = await fetchMessages(
          session,
          wanted.filter((uid) => !oversized.has(uid)),
          job.fetchQuery,
        );
        return { wanted, batch: messages, incomplete, oversized: [...oversized] };
      })();
      fetching.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
      return fetching;
    };
    // Without post-read actions the source session is free while a batch is stored: the next
    // batch is fetched meanwhile (at most one batch waits, so memory stays bounded).
    let next = uids.length > 0 ? fetchBatch(0) : undefined;
    try {
      for (let i = 0; i < uids.length; i += batchSize) {
        const { wanted, batch, incomplete, oversized } = await next!;
        const more = i + batchSize < uids.length;
        next = more && !acting ? fetchBatch(i + batchSize) : undefined;
        // A message that failed last time and has since gone from the source is no longer owed.
        const fetched = new Set([
          ...batch.map((message) => message.uid),
          ...incomplete,
          ...oversized,
        ]);
        state.forgetFailed(
          folder.path,
          uidValidity,
          wanted.filter((uid) => retrying.has(uid) && !fetched.has(uid)),
        );
        recordUnread(
          job,
          folder.path,
          uidValidity,
          incomplete,
          'PROTOCOL_ERROR',
          'The server sent the message without its content; it is fetched again next run.',
          result,
        );
        recordUnread(
          job,
          folder.path,
          uidValidity,
          oversized,
          'MESSAGE_TOO_LARGE',
          `The message is larger than maxMessageSize (${config.maxMessageSize} bytes); raise it to copy this message.`,
          result,
        );
        const settled: number[] = [];
        try {
          await storeBatch(job, folder, uidValidity, batch, result, i === 0, settled);
        } catch (error) {
          // The destination failed (full, gone): still act on what it confirmed, if the source
          // lets us; what cannot be done now stays pending in the state for the next run.
          await settle(job, folder.path, uidValidity, settled).catch(() => undefined);
          throw error;
        }
        await settle(job, folder.path, uidValidity, settled);
        if (more && !next) next = fetchBatch(i + batchSize);
      }
    } finally {
      // Never leave the folder (and its lock) with a FETCH still running on the session.
      await next?.catch(() => undefined);
    }
    return result;
  } finally {
    lock.release();
    result.elapsedMs = Date.now() - started;
  }
}

/**
 * Requested messages that were not read: answered without their body, or over maxMessageSize.
 * Listed as failed, to be tried again next run, never stored empty. Listing them does not
 * move the folder's checkpoint, so a crash before the rest of the batch is stored cannot skip
 * the messages below them.
 */
function recordUnread(
  job: FolderJob,
  folder: string,
  uidValidity: string,
  uids: number[],
  code: string,
  message: string,
  result: FolderImportResult,
): void {
  if (uids.length === 0) return;
  const failed = uids.map((uid) => ({ uid, code, message }));
  job.state.listFailed(folder, uidValidity, failed);
  result.seen += failed.length;
  result.failed += failed.length;
  result.failures.push(...failed);
}

/** Applies the post-read action to messages the destination holds, then forgets them. */
async function settle(
  job: FolderJob,
  folder: string,
  uidValidity: string,
  uids: number[],
): Promise<void> {
  await applyPostReadAction(job.session, job.postReadAction, uids);
  job.state.clearActions(folder, uidValidity, uids);
}

// Messages stored per step when there is no delay between messages: one MULTIAPPEND, one
// transaction for the journal, one for the results; Ctrl-C stops between steps.
const STEP = 50;

/** Stores a batch in UID order, a step at a time; adds to `settled` the UIDs the destination now holds (stored or duplicates). */
async function storeBatch(
  job: FolderJob,
  folder: FolderInfo,
  uidValidity: string,
  batch: BulkMessage[],
  result: FolderImportResult,
  first: boolean,
  settled: number[],
): Promise<void> {
  const { state, sink, config, session } = job;
  const acting = job.postReadAction.type !== 'none';
  const rowContext: RowContext = {
    account: session.account,
    folder: folder.path,
    uidValidity,
    dateTimeFormat: 'ISO8601',
  };
  const messages = batch.map((message): SourceMessage => {
    // fetchMessages returns only answers that carry every requested item, the source included.
    if (!message.source)
      throw makeError('INTERNAL', `UID ${message.uid} reached the store without its source.`);
    const raw = message.source;
    return {
      account: rowContext.account,
      folder: folder.path,
      uidValidity,
      uid: message.uid,
      raw,
      flags: [...(message.flags ?? [])],
      internalDate:
        message.internalDate instanceof Date
          ? message.internalDate
          : message.internalDate
            ? new Date(message.internalDate)
            : undefined,
      identity: identify(raw),
      row: job.keepsRows ? messageToRow(message, rowContext) : null,
    };
  });
  const present = await sink.contains(messages.map((message) => message.identity));
  sink.prepare?.(messages.filter((_, index) => !present[index]));
  // Keys of the messages this batch stores: a message repeated within the batch is a duplicate.
  const queued = new Set<string>();
  const step = config.delayBetweenMessagesMs > 0 ? 1 : STEP;
  for (let start = 0; start < messages.length; start += step) {
    if (job.signal?.aborted)
      throw makeError(
        'ABORTED',
        'The import was stopped; run it again to continue where it stopped.',
      );
    if (config.delayBetweenMessagesMs > 0 && !(first && start === 0))
      await sleep(config.delayBetweenMessagesMs);
    const group = messages.slice(start, start + step);
    const toStore: SourceMessage[] = [];
    const duplicate = new Set<number>();
    group.forEach((message, i) => {
      const key = dedupeKey(message.identity, job.mode);
      if (present[start + i] || (key !== undefined && queued.has(key))) duplicate.add(message.uid);
      else {
        toStore.push(message);
        if (key !== undefined) queued.add(key);
      }
    });
    if (sink.needsIntent && toStore.length > 0)
      state.beginIntents(
        toStore.map((message) => ({
          folder: folder.path,
          uidValidity,
          uid: message.uid,
          destination: sink.destination,
          identity: message.identity,
        })),
      );
    const stored =
      toStore.length > 0 ? await sink.storeMany(toStore) : { outcomes: [], fatal: undefined };
    const outcomeOf = new Map(stored.outcomes.map((outcome, i) => [toStore[i]!.uid, outcome]));
    // Settle in UID order, and only up to the first message a fatal error left untried: the
    // state must never claim a UID beyond one that is not at the destination.
    const untried = toStore.slice(stored.outcomes.length).map((message) => message.uid);
    const stopAt = untried.length > 0 ? Math.min(...untried) : Number.POSITIVE_INFINITY;
    const ok: number[] = [];
    const failed: FailedMessage[] = [];
    for (const message of group) {
      if (message.uid >= stopAt) break;
      result.seen++;
      if (duplicate.has(message.uid)) {
        ok.push(message.uid);
        result.duplicates++;
        continue;
      }
      const error = outcomeOf.get(message.uid);
      if (error) {
        failed.push({ uid: message.uid, code: error.code, message: error.message });
        continue;
      }
      ok.push(message.uid);
      result.copied++;
      result.bytes += message.raw.length;
    }
    state.settle(folder.path, uidValidity, ok, failed, acting);
    settled.push(...ok);
    result.failed += failed.length;
    result.failures.push(...failed);
    job.onProgress?.(result);
    if (stored.fatal) throw stored.fatal;
  }
}
