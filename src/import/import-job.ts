import { isConnectorError } from '../errors.js';
import { fetchFields } from '../read/fetch-fields.js';
import { reconnectPolicy, type Reconnect as ReconnectPolicy } from '../imap/reconnect.js';
import { openReadContext, type ReadContext } from '../read/read-context.js';
import { importPop3 } from './pop3-import.js';
import { importStopped } from './folder-run.js';
import { importFolder, type FolderJob } from './import-folder.js';
import { refuseReadingWhatItWrites } from './same-account.js';
import type { FolderInfo } from '../folder-info.js';
import {
  openDestination,
  openFolderSink,
  openJobState,
  replaceOnce,
  type Destination,
  type ImportOptions,
  type OpenedState,
} from './import-destination.js';
import { totalsOf, type FolderImportResult, type ImportResult } from './import-result.js';
import { prepareImport, type PreparedImport } from './prepare-import.js';
import { ReadFaults } from '../read/read-faults.js';

export type { ImportSpec } from './prepare-import.js';
export type { ImportOptions, JobStateStore } from './import-destination.js';

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
  const reconnect = reconnectPolicy(prepared.source, options);
  const across = { reconnect, readFaults: new ReadFaults(prepared.source.reconnectAttempts) };
  try {
    await withReconnects(reconnect, result, () =>
      prepared.pop3
        ? importPop3(prepared, opened, options, { result, readFaults: across.readFaults })
        : importImapOnce(prepared, opened, options, result, across),
    );
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
    await opened.close();
  }
}

/**
 * A cut connection (source or target), a stall or a throttle answer: new sessions after a
 * pause, and the import goes on from the state, which never claims more than was stored.
 * Progress since the last fault starts the count of attempts over.
 */
async function withReconnects(
  reconnect: ReconnectPolicy,
  result: ImportResult,
  attempt: () => Promise<void>,
): Promise<void> {
  const seen = (): number => result.folders.reduce((sum, folder) => sum + folder.seen, 0);
  let failures = 0;
  for (;;) {
    const before = seen();
    try {
      return await attempt();
    } catch (error) {
      failures = seen() > before ? 1 : failures + 1;
      if (!(await reconnect.again(error, failures))) throw reconnect.givenUp(error);
    }
  }
}

/** What the attempts of one run share: the reconnect policy, and the reads that dropped. */
interface AcrossAttempts {
  reconnect: ReconnectPolicy;
  readFaults: ReadFaults;
}

/** One IMAP attempt: source and destination sessions, every folder, both closed after. */
async function importImapOnce(
  prepared: PreparedImport,
  opened: OpenedState,
  options: ImportOptions,
  result: ImportResult,
  { reconnect, readFaults }: AcrossAttempts,
): Promise<void> {
  let ctx: ReadContext | undefined;
  let destination: Destination | undefined;
  try {
    ctx = await openReadContext(
      { config: prepared.source, plan: prepared.plan, previous: undefined },
      options,
      reconnect.pace,
    );
    result.unmatched = ctx.unmatched;
    destination = await openDestination(prepared, opened, ctx.session.account, options);
    await importFolders(prepared, ctx, destination, options, { result, readFaults });
  } finally {
    await destination?.close();
    await ctx?.session.close();
  }
}

/** Copies each source folder in turn, within the query's LIMIT; results go into `result`. */
async function importFolders(
  prepared: PreparedImport,
  ctx: ReadContext,
  destination: Destination,
  options: ImportOptions,
  { result, readFaults }: { result: ImportResult; readFaults: ReadFaults },
): Promise<void> {
  const { session } = ctx;
  // Messages moved by the post-read action must not come back as source mail next run.
  const action = prepared.postReadAction;
  const folders =
    action.type === 'move'
      ? ctx.folders.filter((folder) => folder.path !== action.folder)
      : ctx.folders;
  await refuseReadingWhatItWrites(prepared, destination, folders, { sourceSession: session });
  await replaceOnce(prepared, folders, destination, result);
  const shared = sharedJob(prepared, ctx, destination, options, readFaults);
  const copy = (job: FolderJob, folder: FolderInfo, entry: FolderImportResult) =>
    importFolder(job, folder, entry).catch((error: unknown) => {
      throw session.asError(error);
    });
  const opened = new Map<string, { job: FolderJob; entry: FolderImportResult }>();
  for (const folder of folders) {
    if (shared.budget.remaining <= 0) break;
    const { sink, entry } = await openFolderSink(destination, folder, result);
    const job: FolderJob = { ...shared, sink };
    opened.set(folder.path, { job, entry });
    await copy(job, folder, entry);
  }
  // Folders left with only messages that dropped the connection (folder-run.ts deferDropped).
  for (const folder of folders.filter((f) => shared.deferDropped.has(f.path))) {
    const { job, entry } = opened.get(folder.path)!;
    await copy({ ...job, deferDropped: undefined }, folder, entry);
  }
}

/** What every folder's job of one run shares: all of FolderJob but the folder's sink. */
function sharedJob(
  prepared: PreparedImport,
  ctx: ReadContext,
  destination: Destination,
  options: ImportOptions,
  readFaults: ReadFaults,
): Omit<FolderJob, 'sink'> & { deferDropped: Set<string> } {
  const { session } = ctx;
  return {
    session,
    config: prepared.source,
    plan: prepared.plan,
    state: destination.state,
    postReadAction: prepared.postReadAction,
    // An IMAP destination needs the source bytes, flags and date; the archive also keeps the row.
    fetchQuery: destination.sink.keepsRows
      ? fetchFields(prepared.plan.select, session.client.capabilities)
      : { uid: true, flags: true, internalDate: true, size: true, source: true },
    keepsRows: destination.sink.keepsRows,
    mode: prepared.mode,
    syncFlags: prepared.syncFlags,
    mirrorDeletions: prepared.mirrorDeletions,
    budget: { remaining: prepared.plan.query.limit ?? Number.POSITIVE_INFINITY },
    signal: options.signal,
    pace: ctx.pace,
    onProgress: options.onProgress,
    readFaults,
    deferDropped: new Set<string>(),
  };
}
