/**
 * Where an import keeps its state and puts its mail: the job's lock and state (a local SQLite
 * file, the archive's own, or a shared store), the destination sink, and replace mode's first
 * step. Shared by the IMAP and the POP3 import.
 */
import { makeError, type ConnectorError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import { openSession } from '../imap/open-session.js';
import type { OperationOptions } from '../operation-options.js';
import { Archive } from '../sinks/archive-db.js';
import { ArchiveSink } from '../sinks/archive-sink.js';
import { ImapSink } from '../sinks/imap-sink.js';
import type { FolderSink, Sink } from '../sinks/sink.js';
import { acquireJobLock, type JobLock } from '../sinks/job-lock.js';
import { openSqliteFile, type SqliteDatabase } from '../sinks/sqlite-file.js';
import { emptyFolderResult, type FolderImportResult, type ImportResult } from './import-result.js';
import { ImportState } from './import-state.js';
import type { JobState } from './job-state.js';
import type { PreparedImport } from './prepare-import.js';

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
export interface OpenedState {
  state: JobState;
  archive?: Archive;
  /** The local SQLite file that holds the state (absent in a shared store). */
  db?: SqliteDatabase;
  close(): Promise<void>;
}

export interface Destination {
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

export async function openDestination(
  prepared: PreparedImport,
  opened: OpenedState,
  sourceAccount: string,
  options: ImportOptions,
): Promise<Destination> {
  const { destination, mode, mapping } = prepared;
  const { state } = opened;
  if (destination.kind === 'archive') {
    // An archive organized per user names the account; else it is the source login.
    const sink = new ArchiveSink(
      opened.archive!,
      destination.account ?? sourceAccount,
      mode,
      mapping,
      sourceAccount,
    );
    // The archive itself is the job state's to close; the sink's packer thread is its own.
    return { sink, state, close: () => sink.close() };
  }
  const sink = new ImapSink(await openSession(destination.config, options), mode, mapping);
  return { sink, state, close: () => sink.close() };
}

/** The job's state from the given store, or its lock and local file. */
export async function openJobState(
  prepared: PreparedImport,
  options: ImportOptions,
): Promise<OpenedState> {
  if (!options.stateStore) {
    const { lock, store } = await lockAndOpenStore(prepared);
    return {
      state: new ImportState(store.db, prepared.job),
      db: store.db,
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
 * A job that ran before without replace empties nothing, and the result says so: what it
 * copied may be gone from the source since (a post-read move or delete), and would be lost.
 */
export const REPLACE_SKIPPED =
  'replace emptied nothing: this job ran before without it, and what it copied then may be gone from the source (a post-read move or delete); with a new state file the job starts over and replaces';

export async function replaceOnce(
  prepared: PreparedImport,
  folders: readonly FolderInfo[],
  destination: Destination,
  result: ImportResult,
): Promise<void> {
  const { sink, state } = destination;
  if (!prepared.replace || !sink.empty || (await state.replaced())) return;
  if (await state.ranBefore()) {
    result.replaceSkipped = REPLACE_SKIPPED;
    // Per folder too, so a batch's rows and report (built from the folders) say it.
    for (const folder of folders) {
      const entry = emptyFolderResult(
        folder.path,
        (await state.destinationOf(folder.path)) ?? folder.path,
      );
      entry.replaceSkipped = true;
      result.folders.push(entry);
    }
    return;
  }
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

/**
 * A source folder's destination folder, where this job put it before (else mapped), written
 * down; and its one entry in the run's result over every attempt, so a folder resumed after a
 * reconnect goes on counting where the cut left it.
 */
export async function openFolderSink(
  destination: Destination,
  folder: FolderInfo,
  result: ImportResult,
): Promise<{ sink: FolderSink; entry: FolderImportResult }> {
  const { state } = destination;
  const sink = await destination.sink.openFolder(folder, await state.destinationOf(folder.path));
  await state.recordDestination(folder.path, sink.destination);
  let entry = result.folders.find((f) => f.folder === folder.path);
  if (!entry) {
    entry = emptyFolderResult(folder.path, sink.destination);
    result.folders.push(entry);
  } else entry.destination = sink.destination; // an entry replace mode made before
  return { sink, entry };
}
