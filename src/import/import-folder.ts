import type { FetchQueryObject } from 'imapflow';
import type { Config } from '../config/validate-config.js';
import { isConnectorError, makeError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import type { Session } from '../imap/open-session.js';
import { toUidSet } from '../read/fetch-fields.js';
import { fetchMessages } from '../read/read-page.js';
import { uidSearch } from '../read/uid-search.js';
import type { BulkMessage } from '../read/fetch-response-parser.js';
import type { ReadPlan } from '../read/prepare-read.js';
import { messageToRow, type RowContext } from '../rows/message-to-row.js';
import type { FolderSink, SourceMessage } from '../sinks/sink.js';
import { identify } from '../write/message-identity.js';
import { emptyFolderResult, type FolderImportResult } from './import-result.js';
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
  /** Messages still allowed by the query's LIMIT, shared across folders. */
  budget: { remaining: number };
  signal: AbortSignal | undefined;
  onProgress: ((result: FolderImportResult) => void) | undefined;
}

// A store refused this message for reasons of its own; the rest of the folder goes on.
const PER_MESSAGE = new Set(['MESSAGE_TOO_LARGE', 'APPEND_FAILED']);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function uidValidityOf(session: Session): string {
  const mailbox = session.client.mailbox;
  return mailbox && mailbox.uidValidity !== undefined ? mailbox.uidValidity.toString() : '';
}

/**
 * Copies one source folder: settles what an interrupted run left (pending post-read actions,
 * APPEND intents), retries messages that failed last time, then reads everything above the
 * last recorded UID in batches of maxQueueDepth and stores each message the destination lacks.
 * Post-read actions run per batch, only on messages the destination holds.
 */
export async function importFolder(job: FolderJob, folder: FolderInfo): Promise<FolderImportResult> {
  const started = Date.now();
  const { session, state, sink, config, postReadAction } = job;
  const result = emptyFolderResult(folder.path, sink.destination);
  const acting = postReadAction.type !== 'none';
  const lock = await session.client.getMailboxLock(folder.path, { readOnly: !acting, acquireTimeout: config.timeout });
  try {
    const uidValidity = uidValidityOf(session);
    const previous = state.progress(folder.path);
    if (!previous || previous.uidValidity !== uidValidity) {
      if (previous) result.uidValidityChanged = { previous: previous.uidValidity, current: uidValidity };
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
    const attributes = [...job.plan.attributes, { type: 'ATOM' as const, value: 'UID' }, { type: 'SEQUENCE' as const, value: `${lastUid + 1}:*` }];
    // "UID n:*" also matches the highest UID when n is above it (RFC 3501 section 6.4.8), so filter.
    const fresh = (await uidSearch(session.client, attributes, session.errorContext)).filter((uid) => uid > lastUid);
    const uids = [...retry, ...fresh].slice(0, job.budget.remaining);
    job.budget.remaining -= uids.length;
    const batchSize = Math.min(config.maxQueueDepth, config.pageSize);
    for (let i = 0; i < uids.length; i += batchSize) {
      const batch = (await fetchMessages(session, toUidSet(uids.slice(i, i + batchSize)), job.fetchQuery)).sort((a, b) => a.uid - b.uid);
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
    }
    return result;
  } finally {
    lock.release();
    result.elapsedMs = Date.now() - started;
  }
}

/** Applies the post-read action to messages the destination holds, then forgets them. */
async function settle(job: FolderJob, folder: string, uidValidity: string, uids: number[]): Promise<void> {
  await applyPostReadAction(job.session, job.postReadAction, uids);
  job.state.clearActions(folder, uidValidity, uids);
}

/** Stores a batch in UID order; adds to `settled` the UIDs the destination now holds (stored or duplicates). */
async function storeBatch(job: FolderJob, folder: FolderInfo, uidValidity: string, batch: BulkMessage[], result: FolderImportResult, first: boolean, settled: number[]): Promise<void> {
  const { state, sink, config, session } = job;
  const acting = job.postReadAction.type !== 'none';
  const rowContext: RowContext = { account: `${session.authenticatedAs}@${config.host}`, folder: folder.path, uidValidity, dateTimeFormat: 'ISO8601' };
  const messages = batch.map((message): SourceMessage => {
    const raw = message.source ?? Buffer.alloc(0);
    return {
      account: rowContext.account,
      folder: folder.path,
      uidValidity,
      uid: message.uid,
      raw,
      flags: [...(message.flags ?? [])],
      internalDate: message.internalDate instanceof Date ? message.internalDate : message.internalDate ? new Date(message.internalDate) : undefined,
      identity: identify(raw),
      row: messageToRow(message, rowContext),
    };
  });
  const present = await sink.contains(messages.map((message) => message.identity));
  for (const [index, message] of messages.entries()) {
    if (job.signal?.aborted) throw makeError('ABORTED', 'The import was stopped; run it again to continue where it stopped.');
    if (config.delayBetweenMessagesMs > 0 && !(first && index === 0)) await sleep(config.delayBetweenMessagesMs);
    result.seen++;
    // A message repeated within the batch is caught by the sink's index after the first copy.
    const duplicate = present[index] || (index > 0 && (await sink.contains([message.identity]))[0]);
    if (duplicate) {
      state.complete(folder.path, uidValidity, message.uid, acting);
      result.duplicates++;
      settled.push(message.uid);
    } else {
      if (sink.needsIntent) state.beginIntent({ folder: folder.path, uidValidity, uid: message.uid, destination: sink.destination, identity: message.identity });
      try {
        await sink.store(message);
      } catch (error) {
        if (!isConnectorError(error) || !PER_MESSAGE.has(error.code)) throw error;
        state.fail(folder.path, uidValidity, message.uid, error.code, error.message);
        result.failed++;
        result.failures.push({ uid: message.uid, code: error.code, message: error.message });
        job.onProgress?.(result);
        continue;
      }
      state.complete(folder.path, uidValidity, message.uid, acting);
      result.copied++;
      result.bytes += message.raw.length;
      settled.push(message.uid);
    }
    job.onProgress?.(result);
  }
}
