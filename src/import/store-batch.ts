import { makeError } from '../errors.js';
import { messageToRow, type RowContext } from '../rows/message-to-row.js';
import type { Row } from '../rows/row.js';
import type { SourceMessage, StoreResult } from '../sinks/sink.js';
import { sleep } from '../sleep.js';
import { byteLength } from '../imap/streamed-body.js';
import { BatchDedupe, identify } from '../write/message-identity.js';
import { importStopped, type FolderRun } from './folder-run.js';
import type { FailedMessage } from './import-result.js';
import { flagText } from './flag-sync.js';
import type { ImportedMessage } from './streamed-source.js';
import { internalDateOf } from '../fetched-message.js';
import { tallyCopiedFlags } from './flags-left-out.js';

// Messages stored per step when there is no delay between messages: one MULTIAPPEND, one
// transaction for the journal, one for the results; Ctrl-C stops between steps.
const STEP = 50;

/** A fetched message as the destination takes it: exact bytes, flags, date, identity, row. */
function toSourceMessages(run: FolderRun, batch: readonly ImportedMessage[]): SourceMessage[] {
  const { session, keepsRows, sink, mode } = run.job;
  // Dedupe by Message-ID compares no content of a message that has one (when the sink allows).
  const skipContentWithId = sink.contentHashOptionalWithId === true && mode === 'message-id';
  const rowContext: RowContext = {
    account: session.account,
    folder: run.path,
    uidValidity: run.uidValidity,
    dateTimeFormat: 'ISO8601',
  };
  return batch.map((message) => {
    // fetchMessages returns only answers that carry every requested item, the source included.
    if (!message.source)
      throw makeError('INTERNAL', `UID ${message.uid} reached the store without its source.`);
    const internalDate = internalDateOf(message);
    return {
      account: session.account,
      folder: run.path,
      uidValidity: run.uidValidity,
      uid: message.uid,
      // A streamed message's source is its first chunk; the rest is read as it is stored.
      raw: message.streamed?.body ?? message.source,
      flags: [...(message.flags ?? [])],
      internalDate,
      identity: message.streamed?.identity ?? identify(message.source, skipContentWithId),
      row: keepsRows ? messageToRow(message, rowContext) : null,
    };
  });
}

/**
 * A batch's last step, sent and not yet recorded, handed on so the destination works while the
 * next batch is prepared (5-12% faster). Only without post-read actions (settling has nothing
 * to do); finished by the next storeBatch before its own steps, or at the end of the folder.
 */
export interface StepCarry {
  pending?: (() => Promise<void>) | undefined;
}

/** Finishes (awaits and records) a carried step, if there is one; it is then gone from `carry`. */
export async function finishCarried(carry: StepCarry | undefined): Promise<void> {
  const pending = carry?.pending;
  if (carry) carry.pending = undefined;
  if (pending) await pending();
}

/**
 * Stores a batch in UID order, a step at a time. Adds to `settled` the UIDs the destination
 * now holds (stored or duplicates), so the caller can act on them even when a step fails.
 * `carry`: the batch before's step is recorded first, and this batch's last may stay in flight.
 * @throws ABORTED between steps; the fatal error of a step (connection, quota).
 */
export async function storeBatch(
  run: FolderRun,
  batch: readonly ImportedMessage[],
  first: boolean,
  settled: number[],
  carry?: StepCarry,
): Promise<void> {
  const { sink, config, signal } = run.job;
  // The batch before's last step: older than any of this batch's, so recorded first.
  const earlier: StepCarry = { pending: carry?.pending };
  if (carry) carry.pending = undefined;
  const delayMs = config.delayBetweenMessagesMs;
  const step = delayMs > 0 ? 1 : STEP;
  // A destination that answers in order takes the next step before it has answered this one.
  const overlapping = sink.overlaps === true && delayMs === 0;
  const finish = async (sent: SentStep): Promise<void> => {
    const stored = await sent.storing;
    settled.push(...(await settleStep(run, sent.group, sent.duplicates, stored)));
    run.job.onProgress?.(run.result);
    if (stored.fatal) throw stored.fatal;
  };
  let inFlight: SentStep | undefined;
  const finishInFlight = async (): Promise<void> => {
    await finishCarried(earlier);
    const last = inFlight;
    inFlight = undefined;
    if (last) await finish(last);
  };
  try {
    const messages = toSourceMessages(run, batch);
    const present = await sink.contains(messages.map((message) => message.identity));
    sink.prepare?.(messages.filter((_, index) => !present[index]));
    const dedupe = new BatchDedupe(run.job.mode);
    for (let start = 0; start < messages.length; start += step) {
      if (signal?.aborted) {
        await finishInFlight();
        throw importStopped();
      }
      if (delayMs > 0 && !(first && start === 0)) await sleep(delayMs, signal);
      await run.job.pace.step(signal);
      const group = messages.slice(start, start + step);
      const duplicates = new Set(
        group
          .filter((message, i) => dedupe.isDuplicate(message.identity, present[start + i] === true))
          .map((message) => message.uid),
      );
      const toStore = group.filter((message) => !duplicates.has(message.uid));
      // The intents are durable before the step is sent, and steps are sent in order.
      await writeIntents(run, toStore);
      const sent: SentStep = { group, duplicates, storing: storeStep(run, toStore) };
      sent.storing.catch(() => undefined); // awaited in order below
      const previous = inFlight;
      inFlight = overlapping ? sent : undefined;
      await finishCarried(earlier);
      if (previous) await finish(previous);
      if (!overlapping) await finish(sent);
    }
    const last = inFlight;
    if (carry && last) {
      inFlight = undefined;
      carry.pending = () => finish(last);
    } else await finishInFlight();
  } finally {
    // A step still in flight when an earlier one failed: its answer is awaited so the session
    // is idle again, and it is not recorded; its intents stay, checked at the destination by
    // the next run (recoverLeftovers), which also copies again what an intent left unconfirmed.
    await inFlight?.storing.catch(() => undefined);
    // Failed before its first step was sent: the batch before's step is still awaited, and
    // recorded if it can be.
    await finishCarried(earlier).catch(() => undefined);
  }
}

/** A step sent to the destination and not yet recorded. */
interface SentStep {
  group: readonly SourceMessage[];
  duplicates: ReadonlySet<number>;
  storing: Promise<StoreResult & { sent: readonly SourceMessage[] }>;
}

/** Writes the step's APPENDs down before they are sent (IMAP destinations). */
export async function writeIntents(
  run: FolderRun,
  toStore: readonly Pick<SourceMessage, 'uid' | 'identity'>[],
): Promise<void> {
  const { sink, state } = run.job;
  if (!sink.needsIntent || toStore.length === 0) return;
  await state.beginIntents(
    toStore.map((message) => ({
      folder: run.path,
      uidValidity: run.uidValidity,
      uid: message.uid,
      destination: sink.destination,
      identity: message.identity,
    })),
  );
}

/** Stores the step's messages, their intents written. */
async function storeStep(
  run: FolderRun,
  toStore: readonly SourceMessage[],
): Promise<StoreResult & { sent: readonly SourceMessage[] }> {
  if (toStore.length === 0) return { outcomes: [], fatal: undefined, sent: toStore };
  return { ...(await run.job.sink.storeMany(toStore)), sent: toStore };
}

/**
 * Records a step in one transaction and in the result, in UID order and only up to the first
 * message a fatal error left untried: the state never claims a UID beyond one that is not at
 * the destination. Returns the UIDs the destination now holds.
 */
async function settleStep(
  run: FolderRun,
  group: readonly SourceMessage[],
  duplicates: ReadonlySet<number>,
  stored: StoreResult & { sent: readonly SourceMessage[] },
): Promise<number[]> {
  const { result } = run;
  const outcomeOf = new Map(stored.outcomes.map((outcome, i) => [stored.sent[i]!.uid, outcome]));
  const untried = stored.sent.slice(stored.outcomes.length).map((message) => message.uid);
  const stopAt = untried.length > 0 ? Math.min(...untried) : Number.POSITIVE_INFINITY;
  const ok: number[] = [];
  const failed: FailedMessage[] = [];
  for (const message of group.filter((m) => m.uid < stopAt)) {
    result.seen++;
    const error = duplicates.has(message.uid) ? undefined : outcomeOf.get(message.uid);
    if (error) {
      failed.push({ uid: message.uid, code: error.code, message: error.message });
      continue;
    }
    ok.push(message.uid);
    if (duplicates.has(message.uid)) result.duplicates++;
    else {
      result.copied++;
      tallyCopiedFlags(result, [message]);
      result.bytes += byteLength(message.raw);
      const rowError = (message.row as Row | null)?.error;
      if (rowError)
        (result.rowErrors ??= []).push({
          uid: message.uid,
          code: rowError.code,
          message: rowError.message,
        });
    }
  }
  await recordCopied(run, group, ok);
  await run.job.state.settle(run.path, run.uidValidity, ok, failed, run.acting);
  result.failed += failed.length;
  result.failures.push(...failed);
  return ok;
}

/**
 * The step's messages now at the destination, with their flags as copied, for the flag sync
 * of later runs; written before the checkpoint moves past them (a crash between the two
 * copies them again).
 */
export async function recordCopied(
  run: FolderRun,
  group: readonly Pick<SourceMessage, 'uid' | 'flags' | 'identity'>[],
  ok: readonly number[],
): Promise<void> {
  if (!run.job.syncFlags && !run.job.mirrorDeletions) return;
  const okSet = new Set(ok);
  await run.job.state.recordCopied(
    run.path,
    run.uidValidity,
    group
      .filter((m) => okSet.has(m.uid))
      .map((m) => ({
        uid: m.uid,
        flags: flagText(m.flags),
        messageIdKey: m.identity.messageIdKey,
        headerDigest: m.identity.headerDigest,
      })),
  );
}
