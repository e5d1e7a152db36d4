import { isConnectorError, makeError, type ConnectorError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import { openSession } from '../imap/open-session.js';
import type { OperationOptions } from '../operation-options.js';
import { fetchFields } from '../read/fetch-fields.js';
import { reconnectPolicy } from '../imap/reconnect.js';
import { openReadContext, type ReadContext } from '../read/read-context.js';
import { Archive } from '../sinks/archive-db.js';
import { ArchiveSink } from '../sinks/archive-sink.js';
import { ImapSink } from '../sinks/imap-sink.js';
import type { Sink } from '../sinks/sink.js';
import { acquireJobLock, type JobLock } from '../sinks/job-lock.js';
import { openSqliteFile, type SqliteDatabase } from '../sinks/sqlite-file.js';
import { importStopped } from './folder-run.js';
import { importFolder, type FolderJob } from './import-folder.js';
import {
  emptyFolderResult,
  totalsOf,
  type FolderImportResult,
  type ImportResult,
} from './import-result.js';
import { ImportState } from './import-state.js';
import type { JobState } from './job-state.js';
import { prepareImport, type PreparedImport } from './prepare-import.js';

export type { ImportSpec } from './prepare-import.js';

export interface ImportOptions extends OperationOptions {
  /** Called after every message with the running result of the current folder. */
  onProgress?: (folder: FolderImportResult) => void;
  /** Called when a fault (a cut, a stall, a throttle) is met and a new session is opened. */
  onReconnect?: (error: ConnectorError) => void;
  /**
   * Where the job's state lives instead of the spec's state file (workers on many machines
   * share it in Redis). Only for an IMAP destination: the archive is its own state.
   */
  stateStore?: JobStateStore;
}

/** A shared home for job states: one run of a job at a time, and its state. */
export interface JobStateStore {
  /** @throws JOB_BUSY when another run holds the job after waitMs. */
  open(job: string, waitMs: number): Promise<{ state: JobState; close(): Promise<void> }>;
}

/** The job's state, its lock held, and the archive when that is the destination. */
interface OpenedState {
  state: JobState;
  archive?: Archive;
  close(): Promise<void>;
}

interface Destination {
  sink: Sink;
  state: JobState;
  close(): Promise<void>;
}

/** The local file (archive, or the state of an IMAP job), opened before any connection: a bad path fails first. */
function openStore(prepared: PreparedImport): { archive?: Archive; db: SqliteDatabase } {
  const { destination } = prepared;
  if (destination.kind === 'archive') {
    const archive = Archive.open(destination.path, { create: true });
    return { archive, db: archive.db };
  }
  return { db: openSqliteFile(destination.statePath, 'import state file') };
}

async function openDestination(
  prepared: PreparedImport,
  opened: OpenedState,
  sourceAccount: string,
  options: ImportOptions,
): Promise<Destination> {
  const { destination, mode, mapping } = prepared;
  const { state } = opened;
  if (destination.kind === 'archive')
    return {
      // An archive organized per user names the account; else it is the source login.
      sink: new ArchiveSink(opened.archive!, destination.account ?? sourceAccount, mode, mapping),
      state,
      close: async () => undefined,
    };
  const sink = new ImapSink(await openSession(destination.config, options), mode, mapping);
  return { sink, state, close: () => sink.close() };
}

/** The job's state from the given store, or its lock and local file. */
async function openJobState(
  prepared: PreparedImport,
  options: ImportOptions,
): Promise<OpenedState> {
  if (!options.stateStore) {
    const { lock, store } = await lockAndOpenStore(prepared);
    return {
      state: new ImportState(store.db, prepared.job),
      ...(store.archive ? { archive: store.archive } : {}),
      close: async () => {
        store.db.close();
        lock.release();
      },
    };
  }
  if (prepared.destination.kind === 'archive')
    throw makeError(
      'CONFIG_INVALID',
      'The embedded archive is a one-machine destination: a shared state store (a queue) needs an IMAP destination.',
      { field: '/destination' },
    );
  return options.stateStore.open(prepared.job, prepared.lockWaitMs);
}

/**
 * Imports a mailbox into the embedded archive or another IMAP account, folder by folder,
 * never storing a message twice. Stop it at any point (abort, kill, a cut connection) and the
 * next run continues from what the state recorded; an APPEND in flight at the time is looked
 * up at the destination first. Nothing is validated late: config, spec and query are checked
 * before any connection is made.
 * Only one run of a job at a time: a second waits up to spec.waitForLock seconds, then fails.
 * @throws CONFIG_INVALID / QUERY_INVALID before any I/O; JOB_BUSY; session errors, OVER_QUOTA and ABORTED
 *   during the run, with details.result holding what was done so far.
 */
export async function runImport(
  source: unknown,
  spec: unknown,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const started = Date.now();
  const prepared = prepareImport(source, spec);
  const result: ImportResult = {
    destination: prepared.destination.kind,
    folders: [],
    totals: totalsOf([], 0),
    unmatched: [],
  };
  const opened = await openJobState(prepared, options);
  let ctx: ReadContext | undefined;
  let destination: Destination | undefined;
  const reconnect = reconnectPolicy(prepared.source, options);
  try {
    // A cut connection (source or target), a stall or a throttle answer: new sessions after a
    // pause, and the folders go on from the state, which never claims more than was stored.
    const seen = (): number => result.folders.reduce((sum, folder) => sum + folder.seen, 0);
    let failures = 0;
    for (;;) {
      const before = seen();
      try {
        ctx = await openReadContext(
          { config: prepared.source, plan: prepared.plan, previous: undefined },
          options,
          reconnect.pace,
        );
        result.unmatched = ctx.unmatched;
        destination = await openDestination(prepared, opened, ctx.session.account, options);
        await importFolders(prepared, ctx, destination, options, result);
        break;
      } catch (error) {
        await destination?.close();
        await ctx?.session.close();
        destination = ctx = undefined;
        // Progress since the last fault starts the count of attempts over.
        failures = seen() > before ? 1 : failures + 1;
        if (!(await reconnect.again(error, failures))) throw reconnect.givenUp(error);
      }
    }
    result.totals = totalsOf(result.folders, Date.now() - started);
    return result;
  } catch (error) {
    result.totals = totalsOf(result.folders, Date.now() - started);
    if (!isConnectorError(error)) throw error;
    // However the stop reached it (a command, a delay, between steps), an import says the same.
    throw error.code === 'ABORTED'
      ? importStopped({ ...error.details, result })
      : error.withDetails({ result });
  } finally {
    await destination?.close();
    await ctx?.session.close();
    await opened.close();
  }
}

/**
 * The job's lock, then its store: a second run of the job must not even open the store
 * (issue 9), and a bad path fails before any connection.
 * @throws JOB_BUSY, FILE_WRITE_FAILED, ARCHIVE_INVALID
 */
async function lockAndOpenStore(
  prepared: PreparedImport,
): Promise<{ lock: JobLock; store: ReturnType<typeof openStore> }> {
  const { destination } = prepared;
  const lock = await acquireJobLock(
    destination.kind === 'archive' ? destination.path : destination.statePath,
    prepared.job,
    prepared.lockWaitMs,
  );
  try {
    return { lock, store: openStore(prepared) };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * Replace mode's first step, once per job: empty every destination folder the import writes,
 * then (one change) forget the job's progress and note it replaced. A crash before the note
 * empties again what nothing was copied to yet; after it, nothing is removed a second time.
 */
async function replaceOnce(
  prepared: PreparedImport,
  folders: readonly FolderInfo[],
  destination: Destination,
  result: ImportResult,
): Promise<void> {
  const { sink, state } = destination;
  if (!prepared.replace || !sink.empty || (await state.replaced())) return;
  for (const folder of folders) {
    const { destination: path, removed } = await sink.empty(
      folder,
      await state.destinationOf(folder.path),
    );
    if (removed === 0) continue;
    const entry = emptyFolderResult(folder.path, path);
    entry.destinationRemoved = removed;
    result.folders.push(entry);
  }
  await state.markReplaced();
}

/** Copies each source folder in turn, within the query's LIMIT; results go into `result`. */
async function importFolders(
  prepared: PreparedImport,
  ctx: ReadContext,
  destination: Destination,
  options: ImportOptions,
  result: ImportResult,
): Promise<void> {
  const { session } = ctx;
  // An IMAP destination needs the source bytes, flags and date; the archive also keeps the row.
  const fetchQuery = destination.sink.keepsRows
    ? fetchFields(prepared.plan.select, session.client.capabilities)
    : { uid: true, flags: true, internalDate: true, size: true, source: true };
  const budget = { remaining: prepared.plan.query.limit ?? Number.POSITIVE_INFINITY };
  // Messages moved by the post-read action must not come back as source mail next run.
  const action = prepared.postReadAction;
  const folders =
    action.type === 'move'
      ? ctx.folders.filter((folder) => folder.path !== action.folder)
      : ctx.folders;
  await replaceOnce(prepared, folders, destination, result);
  for (const folder of folders) {
    if (budget.remaining <= 0) break;
    const sink = await destination.sink.openFolder(
      folder,
      await destination.state.destinationOf(folder.path),
    );
    await destination.state.recordDestination(folder.path, sink.destination);
    const job: FolderJob = {
      session,
      config: prepared.source,
      plan: prepared.plan,
      state: destination.state,
      sink,
      postReadAction: action,
      fetchQuery,
      keepsRows: destination.sink.keepsRows,
      mode: prepared.mode,
      budget,
      signal: options.signal,
      pace: ctx.pace,
      onProgress: options.onProgress,
    };
    // One result per folder over every attempt of the run: a folder resumed after a
    // reconnect goes on counting where the cut left it.
    let entry = result.folders.find((f) => f.folder === folder.path);
    if (!entry) {
      entry = emptyFolderResult(folder.path, sink.destination);
      result.folders.push(entry);
    }
    await importFolder(job, folder, entry).catch((error: unknown) => {
      throw session.asError(error);
    });
  }
}
