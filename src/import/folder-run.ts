import type { FetchQueryObject } from 'imapflow';
import { makeError, type ConnectorError } from '../errors.js';
import type { Config } from '../config/validate-config.js';
import type { Session } from '../imap/open-session.js';
import type { Pace } from '../imap/pace.js';
import type { ReadPlan } from '../read/prepare-read.js';
import type { FolderSink } from '../sinks/sink.js';
import type { DedupeMode } from '../write/message-identity.js';
import type { FolderImportResult } from './import-result.js';
import { DROPPED, type JobState } from './job-state.js';
import type { ReadFaults } from '../read/read-faults.js';
import { toSearchAttributes } from '../query/render-search.js';
import { uidSearch } from '../imap/uid-search.js';
import {
  ageCutoff,
  applyPostReadAction,
  deletesByAge,
  flagOfAction,
  type PostReadAction,
} from './post-read-action.js';
import { keepsFlag, permanentFlagsOf } from '../imap/permanent-flags.js';
import { noteLeftOut } from './flags-left-out.js';

/** What every folder of one import shares: the source, the destination, the state. */
export interface FolderJob {
  session: Session;
  config: Config;
  plan: ReadPlan;
  state: JobState;
  sink: FolderSink;
  postReadAction: PostReadAction;
  fetchQuery: FetchQueryObject;
  /** Build each message's row (the destination keeps it). */
  keepsRows: boolean;
  mode: DedupeMode;
  /** Carry flag changes of messages copied by earlier runs (syncFlags). */
  syncFlags: boolean;
  /** Remove copies of messages deleted at the source since (mirrorDeletions, opt-in). */
  mirrorDeletions: boolean;
  /** Messages still allowed by the query's LIMIT, shared across folders. */
  budget: { remaining: number };
  signal: AbortSignal | undefined;
  /** The run's pace, lowered after the server throttled it. */
  pace: Pace;
  onProgress: ((result: FolderImportResult) => void) | undefined;
  /** Reads that dropped the source's connection in earlier attempts of this run. */
  readFaults: ReadFaults;
  /**
   * First pass over the folders: a folder left with only messages listed for dropping the
   * connection, before any message came through in the run, is put here and copied after the
   * other folders (importFolders), whose mail then shows that the connection carries mail.
   */
  deferDropped?: Set<string> | undefined;
}

/** One source folder being copied: the job, where, under which UIDVALIDITY, and the result so far. */
export interface FolderRun {
  job: FolderJob;
  path: string;
  uidValidity: string;
  result: FolderImportResult;
  /** A post-read action is set: the folder is SELECTed and settled messages are acted on. */
  acting: boolean;
  /** Listed messages the source could not give (MESSAGE_UNAVAILABLE): read whole, never streamed. */
  readWhole?: ReadonlySet<number>;
}

/**
 * Messages that were not read (answered without their body, or over maxMessageSize): listed
 * as failed, tried again next run, never stored empty. Listing them does not move the
 * folder's checkpoint, so a crash before the rest of the batch is stored cannot skip the
 * messages below them.
 */
export async function recordUnread(
  run: FolderRun,
  uids: readonly number[],
  code: string,
  message: string,
): Promise<void> {
  if (uids.length === 0) return;
  const failed = uids.map((uid) => ({ uid, code, message }));
  await run.job.state.listFailed(run.path, run.uidValidity, failed);
  run.result.seen += failed.length;
  run.result.failed += failed.length;
  run.result.failures.push(...failed);
}

/**
 * Applies the post-read action to messages the destination holds, then forgets them. A mark
 * the source folder cannot keep (its PERMANENTFLAGS) is not sent, and the result says so:
 * imapflow would drop it without a word, and no later run could make it.
 */
export async function settle(run: FolderRun, uids: readonly number[]): Promise<void> {
  const { session, postReadAction } = run.job;
  const mark = flagOfAction(postReadAction);
  if (mark !== undefined && uids.length > 0 && !keepsFlag(permanentFlagsOf(session), mark))
    noteLeftOut(run.result, 'source', new Map([[mark, uids.length]]));
  else {
    const deleted = await applyPostReadAction(session, postReadAction, uids);
    if (deleted > 0) run.result.sourceDeleted = (run.result.sourceDeleted ?? 0) + deleted;
  }
  await run.job.state.clearActions(run.path, run.uidValidity, uids);
}

/**
 * A delete by age also owes the messages earlier runs copied while they were young: those at
 * or below the checkpoint that the query matches and that are now old enough, less the ones
 * still listed as failed (never stored). Runs after leftovers are settled, so no APPEND is in doubt.
 */
export async function deleteAged(run: FolderRun): Promise<void> {
  const { job } = run;
  if (!deletesByAge(job.postReadAction)) return;
  const lastUid = (await job.state.progress(run.path))?.lastUid ?? 0;
  if (lastUid === 0) return;
  const failed = new Set((await job.state.failed(run.path, run.uidValidity)).map((f) => f.uid));
  const aged = await uidSearch(job.session, [
    ...job.plan.attributes,
    ...toSearchAttributes([
      { key: 'UID', set: `1:${lastUid}` },
      { key: 'BEFORE', date: ageCutoff(job.postReadAction.olderThanDays) },
    ]),
  ]);
  const owed = aged.filter((uid) => uid <= lastUid && !failed.has(uid));
  // Already old enough, so the action deletes every one of them.
  await settle(run, owed);
}

/** ABORTED as an import says it: where it stopped is recorded, so running it again goes on. */
export function importStopped(details?: ConnectorError['details']): ConnectorError {
  return makeError(
    'ABORTED',
    'The import was stopped; run it again to continue where it stopped.',
    details ? { details } : {},
  );
}

/**
 * Awaits `work`, a read of `uids` from the source (or a store that streams from it), through
 * the run's ReadFaults: a message a dropped connection gives up on is listed as failed now, and
 * one that dropped it before any message came through is listed to be read after the rest.
 * @throws what `work` throws
 */
export function notingDrops<T>(
  run: FolderRun,
  uids: readonly number[],
  work: Promise<T>,
): Promise<T> {
  const { readFaults, session } = run.job;
  const place = { folder: run.path, uidValidity: run.uidValidity, asError: session.asError };
  return readFaults.reading(place, uids, work, {
    givenUp: (givenUp) => recordUnread(run, givenUp, DROPPED.code, DROPPED.message),
    // Listed, not counted: the next attempt reads it after the rest (uidsToCopy), and the
    // checkpoint those move cannot leave it behind unlisted.
    suspect: (uid) =>
      run.job.state.listFailed(run.path, run.uidValidity, [
        { uid, code: DROPPED.code, message: DROPPED.message },
      ]),
  });
}
