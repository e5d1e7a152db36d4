/**
 * Many mailboxes at once, on this machine: the batch engine's local home. A run checks every
 * mailbox first (preflight), then imports them N at a time under a per-server connection cap,
 * each in its own sessions, retrying a mailbox that fails with a retryable error. Its records
 * are a SQLite file beside the profile, written as it goes; a run stopped in any way (Ctrl-C,
 * kill -9) is continued by the next `batch run`: finished mailboxes are left alone, the others
 * go on from their import state, so nothing is copied twice. A finished batch run again copies
 * only what is new. The queued home (queue/) shares every step but the transport.
 */
import { isConnectorError, type ConnectorError } from '../errors.js';
import { watchForStall } from '../stall-guard.js';
import { acquireJobLock } from '../sinks/job-lock.js';
import { abortedError, sleep } from '../sleep.js';
import { attemptMailbox } from './attempt-mailbox.js';
import { reported } from './mailbox-row.js';
import { totalsOf, type BatchReport } from './batch-report.js';
import type { MailboxJob } from './mailbox-jobs.js';
import type { MailboxState, RunStatus } from './mailbox-state.js';
import { preflight, type PreflightResult } from './preflight.js';
import {
  prepareBatch,
  type BatchInput,
  type BatchOptions,
  type PreparedBatch,
} from './prepare-batch.js';
import { recordPreflight } from './record-preflight.js';
import { reportRun } from './report-run.js';
import { runPool } from './run-pool.js';
import { ServerSlots, throttledBy } from './server-slots.js';
import { SqliteRunRecords } from './sqlite-run-records.js';

export type { BatchInput, BatchOptions } from './prepare-batch.js';

export interface LocalBatchOptions extends BatchOptions {
  /** Called when a mailbox's status or counts change (at most once a second per mailbox while it copies). */
  onProgress?: (mailboxes: MailboxState[]) => void;
}

// `batch status` probes the run's lock for an instant: a run starting then waits that out.
const LOCK_GRACE_MS = 2000;

/** A run in progress on this machine: its records, its slots, the options it runs with. */
class LocalRun {
  readonly slots: ServerSlots;

  constructor(
    readonly prepared: PreparedBatch,
    readonly records: SqliteRunRecords,
    readonly runId: number,
    readonly startedAt: string,
    readonly options: LocalBatchOptions,
  ) {
    this.slots = new ServerSlots(prepared.profile.throttle.maxConnectionsPerServer);
  }

  async update(key: string, change: Partial<MailboxState>): Promise<void> {
    await this.records.update(this.runId, key, change);
    await this.progress();
  }

  async progress(): Promise<void> {
    if (this.options.onProgress) this.options.onProgress(await this.records.mailboxes(this.runId));
  }

  /** One mailbox, attempt after attempt while a retryable error leaves attempts; a stop goes up. */
  async importMailbox(job: MailboxJob): Promise<void> {
    const { throttle } = this.prepared.profile;
    const signal = this.options.signal;
    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptMailbox(
        { key: job.entry.key, source: job.source, spec: job.spec },
        {
          records: this.records,
          runId: this.runId,
          maxAttempts: throttle.attempts,
          passwords: this.prepared.passwords,
          importOptions: {
            ...(signal ? { signal } : {}),
            ...(this.options.logger ? { logger: this.options.logger } : {}),
            // A throttle the import waits out inside the attempt lowers the batch's pace too.
            onReconnect: (error) => this.throttled(job, error),
          },
          withSlots: (work) => this.slots.with(job.servers, work),
          stopping: () => signal?.aborted === true,
          onChange: () => void this.progress().catch(() => undefined),
        },
      );
      if (outcome.status === 'released') throw outcome.error;
      if (outcome.status !== 'retry') return;
      this.throttled(job, outcome.error);
      await sleep(throttle.retryDelaySeconds * 1000 * 2 ** (attempt - 1), signal);
    }
  }

  /** A server throttled this mailbox: one connection fewer to it from now on. */
  private throttled(job: MailboxJob, error: ConnectorError): void {
    if (error.code !== 'SERVER_THROTTLED') return;
    const host = String(error.details?.host ?? '').toLowerCase();
    const destinationHost = String(job.destination?.server ?? '').toLowerCase();
    const side = job.servers.length > 1 && host !== '' && destinationHost.includes(host) ? 1 : 0;
    throttledBy(this.slots, job.servers[side]!, this.options.logger);
  }

  /**
   * A bug ended the run (it stalled, or threw): every mailbox not done fails with it, and the
   * run is reported as failed, so status, report and exit code say so instead of "running".
   */
  async failAll(error: ConnectorError): Promise<BatchReport> {
    const shown = reported(error, this.prepared.passwords);
    for (const mailbox of await this.records.mailboxes(this.runId))
      if (mailbox.status !== 'done' && mailbox.status !== 'skipped' && mailbox.status !== 'failed')
        await this.records.update(this.runId, mailbox.key, {
          status: 'failed',
          endedAt: new Date().toISOString(),
          error: shown,
        });
    return this.finish('failed', this.startedAt);
  }

  async finish(status: RunStatus, startedAt: string): Promise<BatchReport> {
    const mailboxes = await this.records.mailboxes(this.runId);
    return reportRun(this.prepared, this.records, {
      runId: this.runId,
      status,
      startedAt,
      mailboxes,
      peakConnections: Object.fromEntries(this.slots.peak),
      ...(this.slots.lowered.size > 0
        ? { loweredConnections: Object.fromEntries(this.slots.lowered) }
        : {}),
    });
  }
}

/**
 * Preflight only (`batch check`): every mailbox's logins and new password, a few at a time.
 * @throws CONFIG_INVALID for the profile or the list, before any connection.
 */
export async function checkBatch(
  input: BatchInput,
  options: BatchOptions = {},
): Promise<PreflightResult[]> {
  const prepared = await prepareBatch(input, options);
  const slots = new ServerSlots(prepared.profile.throttle.maxConnectionsPerServer);
  return preflight(prepared.jobs, prepared.profile, slots, { ...options, listFolders: true });
}

/**
 * Runs a batch, or continues the one a stopped run left. Returns the report (also written
 * beside the state file as .report.json and .report.txt, and sent as the profile says).
 * @throws CONFIG_INVALID (profile, list, secrets) before any I/O; JOB_BUSY when another run
 *   of the batch is going; ABORTED when stopped (the next run continues).
 */
export async function runBatch(
  input: BatchInput,
  options: LocalBatchOptions = {},
): Promise<BatchReport> {
  const prepared = await prepareBatch(input, options);
  const seconds = prepared.profile.throttle.batchTimeoutSeconds;
  const deadline = seconds ? AbortSignal.timeout(seconds * 1000) : undefined;
  const signals = [options.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  const lock = await acquireJobLock(prepared.statePath, 'batch', LOCK_GRACE_MS);
  const records = SqliteRunRecords.open(prepared.statePath);
  try {
    const listed = prepared.jobs.map((job) => ({
      key: job.entry.key,
      label: job.label,
      line: job.entry.line,
    }));
    const opened = await records.openRun(prepared.profile.name, listed);
    const run = new LocalRun(prepared, records, opened.id, opened.startedAt, {
      ...options,
      ...(signal ? { signal } : {}),
    });
    const guard = watchForStall('batch run');
    try {
      return await Promise.race([work(run, opened.startedAt), guard.stalled]);
    } catch (error) {
      // The batch's own time limit: the run ends as stopped, reported and notified. A stop by
      // the caller (Ctrl-C) leaves it open for the next run to continue.
      if (deadline?.aborted && !options.signal?.aborted)
        return await run.finish('stopped', opened.startedAt);
      if (isConnectorError(error) && error.code === 'INTERNAL') return await run.failAll(error);
      throw error;
    } finally {
      guard.cancel();
    }
  } finally {
    records.close();
    lock.release();
  }
}

/** Preflight, then the imports, then the report. */
async function work(run: LocalRun, startedAt: string): Promise<BatchReport> {
  const { prepared, records, runId } = run;
  const signal = run.options.signal;
  const before = new Map((await records.mailboxes(runId)).map((m) => [m.key, m]));
  const pending = prepared.jobs.filter((job) => {
    const status = before.get(job.entry.key)?.status;
    return status !== 'done' && status !== 'skipped';
  });
  for (const job of pending) await run.update(job.entry.key, { status: 'checking' });
  const checks = await preflight(pending, prepared.profile, run.slots, {
    ...run.options,
    importedBefore: await records.importedBefore(),
  });
  const verdict = await recordPreflight(records, runId, checks, prepared.profile);
  await run.progress();
  if (signal?.aborted) throw abortedError();
  if (verdict.stop) return run.finish('failed', startedAt);
  const toImport = pending.filter((job) => verdict.ready.has(job.entry.key));
  await runPool(toImport, prepared.profile.throttle.parallelMailboxes, (job) =>
    run.importMailbox(job),
  );
  const totals = totalsOf(await records.mailboxes(runId));
  return run.finish(totals.failed > 0 ? 'failed' : 'done', startedAt);
}
