/**
 * One attempt at one mailbox of a batch, the same for the local runner and the queue's workers
 * (issue 25): the row says running, the import runs under the caller's connection slots with
 * its counts flushed at most once a second, and the row ends done, queued again (retryable,
 * attempts left), failed, or released (stopped from outside: not an attempt). Counts are added
 * to what earlier attempts recorded, so a run's report counts the whole mailbox. Every write is
 * guarded by the attempt it belongs to: a row that vanished or was taken over stops the import.
 */
import { isConnectorError, makeError, type ConnectorError } from '../errors.js';
import { runImport, type ImportOptions } from '../import/import-job.js';
import {
  partialImportResult,
  type FolderImportResult,
  type ImportResult,
} from '../import/import-result.js';
import type { ImportSpec } from '../import/prepare-import.js';
import { countsOf, doneRow, reported, withEarlier } from './mailbox-row.js';
import type { MailboxState, ReportedError } from './mailbox-state.js';
import type { RowGuard, RunRecords } from './run-records.js';

/** What an attempt imports: the mailbox's key, its source connection and its import. */
export interface MailboxImport {
  key: string;
  source: Record<string, unknown>;
  spec: ImportSpec;
}

export interface AttemptContext {
  records: RunRecords;
  runId: number;
  /** Attempts at a mailbox before it fails (the profile's throttle.attempts). */
  maxAttempts: number;
  /** Every password of the mailbox, for redacting server answers in its row. */
  passwords: readonly string[];
  /** The import's options (signal, logger, a shared state store, onReconnect). */
  importOptions: ImportOptions;
  /** Runs the import holding the mailbox's connection slots. */
  withSlots: <T>(work: () => Promise<T>) => Promise<T>;
  /** Set for a queued batch: the worker (host:pid) named in the row. */
  worker?: string;
  /** True once the caller is stopping (Ctrl-C, a worker shutting down): the mailbox is released. */
  stopping: () => boolean;
  /** Called after every change of the row. */
  onChange?: () => void;
}

export type AttemptOutcome =
  | { status: 'done'; result: ImportResult }
  | { status: 'retry' | 'failed'; error: ConnectorError; shown: ReportedError }
  | { status: 'released'; error: ConnectorError }
  /** The mailbox's row vanished or was taken over (its run's records were lost): nothing was recorded. */
  | { status: 'lost'; error: ConnectorError };

// Progress is written at most this often: status readers see it move without slowing the copy.
const FLUSH_MS = 1000;

/** The folder results so far, kept as the import reports them (one entry per folder). */
function progressOf(done: FolderImportResult[], folder: FolderImportResult): void {
  const previous = done.at(-1);
  if (previous && previous.folder === folder.folder) done[done.length - 1] = { ...folder };
  else done.push({ ...folder });
}

/**
 * The row of one attempt: every change guarded by the attempt it belongs to; once the row is
 * not this attempt's any more (its run's records were lost), `lost` fires and the import stops.
 */
class AttemptRow {
  readonly lost = new AbortController();
  readonly attempts: number;
  private readonly mine: RowGuard;
  // Flushes one after another, and all of them before the outcome: a late flush must not
  // write older counts over the final ones.
  private flushing = Promise.resolve();
  private lastFlush = 0;

  constructor(
    readonly before: MailboxState,
    private readonly key: string,
    private readonly ctx: AttemptContext,
  ) {
    this.attempts = before.attempts + 1;
    this.mine = { attempts: this.attempts, ...(ctx.worker ? { worker: ctx.worker } : {}) };
  }

  async change(fields: Partial<MailboxState>, expect: RowGuard = this.mine): Promise<void> {
    if (await this.ctx.records.update(this.ctx.runId, this.key, fields, expect))
      this.ctx.onChange?.();
    else this.lost.abort();
  }

  /** The row says running, if it still is the one read before (no other attempt took it). */
  start(): Promise<void> {
    const { before, ctx } = this;
    return this.change(
      {
        status: 'running',
        attempts: this.attempts,
        startedAt: new Date().toISOString(),
        error: null,
        ...(ctx.worker ? { worker: ctx.worker } : {}),
      },
      { attempts: before.attempts, ...(before.worker ? { worker: before.worker } : {}) },
    );
  }

  /** This attempt's folders so far, written at most once a second. */
  progress(done: readonly FolderImportResult[]): void {
    if (Date.now() - this.lastFlush < FLUSH_MS) return;
    this.lastFlush = Date.now();
    const counts = withEarlier(this.before, countsOf(done));
    this.flushing = this.flushing.then(() => this.change(counts)).catch(() => undefined);
  }

  settled(): Promise<void> {
    return this.flushing;
  }
}

/** How a failed attempt ends: released (stopped from outside), queued again, or failed. */
async function failedAttempt(
  row: AttemptRow,
  error: ConnectorError,
  done: FolderImportResult[],
  ctx: AttemptContext,
): Promise<AttemptOutcome> {
  const counts = withEarlier(row.before, countsOf(partialImportResult(error)?.folders ?? done));
  await row.settled();
  if (row.lost.signal.aborted) return { status: 'lost', error: rowGone(ctx.runId) };
  if (ctx.stopping()) {
    // Stopped from outside: the import stopped after a recorded step; not an attempt.
    await row.change({ ...counts, status: 'queued', attempts: row.before.attempts });
    return { status: 'released', error };
  }
  const shown = reported(error, ctx.passwords);
  const retry = error.retryable && row.attempts < ctx.maxAttempts;
  await row.change({
    ...counts,
    status: retry ? 'queued' : 'failed',
    endedAt: new Date().toISOString(),
    error: shown,
  });
  return { status: retry ? 'retry' : 'failed', error, shown };
}

/**
 * One attempt at `mailbox`; never throws for the mailbox's own failure (the outcome says it),
 * only when its records cannot be written.
 */
export async function attemptMailbox(
  mailbox: MailboxImport,
  ctx: AttemptContext,
): Promise<AttemptOutcome> {
  const before = await ctx.records.mailbox(ctx.runId, mailbox.key);
  if (!before) return { status: 'lost', error: rowGone(ctx.runId) };
  const row = new AttemptRow(before, mailbox.key, ctx);
  await row.start();
  if (row.lost.signal.aborted) return { status: 'lost', error: rowGone(ctx.runId) };
  const signals = [ctx.importOptions.signal, row.lost.signal].filter((s) => s !== undefined);
  const done: FolderImportResult[] = [];
  try {
    const result = await ctx.withSlots(() =>
      runImport(mailbox.source, mailbox.spec, {
        ...ctx.importOptions,
        signal: AbortSignal.any(signals),
        onProgress: (folder) => {
          progressOf(done, folder);
          row.progress(done);
        },
      }),
    );
    await row.settled();
    await row.change(doneRow(withEarlier(before, countsOf(result.folders)), result));
    return { status: 'done', result };
  } catch (caught) {
    const error: ConnectorError = isConnectorError(caught)
      ? caught
      : makeError('INTERNAL', String((caught as Error)?.message ?? caught), { cause: caught });
    return failedAttempt(row, error, done, ctx);
  }
}

function rowGone(runId: number): ConnectorError {
  return makeError(
    'BATCH_STATE_LOST',
    `A mailbox's status row in run ${runId} is gone or was taken over: the batch's records were lost.`,
  );
}
