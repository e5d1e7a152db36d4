/**
 * Many mailboxes at once: the batch layer above runImport. A run checks every mailbox first
 * (preflight), then imports them N at a time under a per-server connection cap, each in its own
 * sessions, retrying a mailbox that fails with a retryable error. Its status is written to the
 * batch's state file as it goes; a run stopped in any way (Ctrl-C, kill -9) is continued by the
 * next `batch run`: finished mailboxes are left alone, the others go on from their import
 * state, so nothing is copied twice. A finished batch run again copies only what is new.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { redactText } from '../config/redact.js';
import { isConnectorError, makeError, type ConnectorError } from '../errors.js';
import { runImport } from '../import/import-job.js';
import {
  partialImportResult,
  totalsOf as importTotalsOf,
  type FolderImportResult,
  type ImportResult,
} from '../import/import-result.js';
import type { OperationOptions } from '../operation-options.js';
import { acquireJobLock } from '../sinks/job-lock.js';
import { sleep } from '../sleep.js';
import { loadBatchProfile, validateBatchProfile, type BatchProfile } from './batch-profile.js';
import { formatReportText, totalsOf, type BatchReport, type BatchTotals } from './batch-report.js';
import {
  BatchState,
  type MailboxState,
  type ReportedError,
  type RunState,
  type RunStatus,
} from './batch-state.js';
import { batchSecrets, mailboxesOf, type BatchSecrets } from './mailbox-list.js';
import { mailboxJobs, type MailboxJob } from './mailbox-jobs.js';
import { notify } from './notify.js';
import { preflight, type PreflightResult } from './preflight.js';
import { runPool } from './run-pool.js';
import { ServerSlots, throttledBy } from './server-slots.js';

export interface BatchOptions extends OperationOptions {
  /** The batch's state file; default: beside the profile file, `<profile>.state`. */
  statePath?: string;
  /** Where secrets come from (IMAP_MASTER_PASSWORD, SMTP_PASSWORD, ...); default process.env. */
  env?: Record<string, string | undefined>;
  /** Called when a mailbox's status or counts change (at most once a second per mailbox while it copies). */
  onProgress?: (mailboxes: MailboxState[]) => void;
}

/** A profile file path, or a profile object with the folder its relative paths start from. */
export type BatchInput = string | { profile: unknown; baseDir: string };

export function profileOf(input: BatchInput): BatchProfile {
  return typeof input === 'string'
    ? loadBatchProfile(input)
    : validateBatchProfile(input.profile, input.baseDir);
}

function statePathOf(input: BatchInput, options: { statePath?: string }): string {
  const defaultState = typeof input === 'string' ? `${resolve(input)}.state` : undefined;
  const path = options.statePath ?? defaultState;
  if (!path)
    throw makeError('USAGE_INVALID', 'A batch given as an object needs options.statePath.', {
      field: '/statePath',
    });
  return resolve(path);
}

/** Everything a batch needs that can be known without a server: checked before any I/O. */
export interface PreparedBatch {
  profile: BatchProfile;
  jobs: MailboxJob[];
  secrets: BatchSecrets;
  statePath: string;
  /** Every password of the batch, for redacting server answers. */
  passwords: string[];
}

export async function prepareBatch(
  input: BatchInput,
  options: BatchOptions,
): Promise<PreparedBatch> {
  const profile = profileOf(input);
  const statePath = statePathOf(input, options);
  const secrets = batchSecrets(profile, options.env ?? process.env);
  const entries = await mailboxesOf(profile, secrets);
  const jobs = mailboxJobs(profile, entries, secrets, `${statePath}.imports`);
  const passwords = [
    ...entries.flatMap((e) => [e.sourcePassword, e.destinationPassword]),
    ...Object.values(secrets),
  ].filter((p): p is string => typeof p === 'string' && p !== '');
  return { profile, jobs, secrets, statePath, passwords };
}

export const reported = (error: unknown, passwords: string[]): ReportedError => {
  if (isConnectorError(error))
    return {
      code: error.code,
      message: redactText(error.message, passwords),
      ...(error.hint ? { hint: error.hint } : {}),
    };
  return {
    code: 'INTERNAL',
    message: redactText(String((error as Error)?.message ?? error), passwords),
  };
};

/** One mailbox's counts from its folders so far. */
export function countsOf(folders: FolderImportResult[]): Partial<MailboxState> {
  const { seen, copied, duplicates, failed, bytes } = importTotalsOf(folders, 0);
  return {
    seen,
    copied,
    duplicates,
    failed,
    bytes,
    foldersDone: folders.length,
    folders: folders.map(({ folder, seen, copied, duplicates, failed }) => ({
      folder,
      seen,
      copied,
      duplicates,
      failed,
    })),
  };
}

/** A mailbox's row once its import has ended: done, with the messages it could not copy. */
export function doneRow(
  counts: Partial<MailboxState>,
  result: ImportResult,
): Partial<MailboxState> {
  const failedMessages = result.totals.failed;
  return {
    ...counts,
    foldersTotal: result.folders.length,
    status: 'done',
    endedAt: new Date().toISOString(),
    error:
      failedMessages > 0
        ? {
            code: 'APPEND_FAILED',
            message: `${failedMessages} messages could not be copied; they are tried again on the next run.`,
          }
        : null,
  };
}

/** Folder results of several attempts at one mailbox, summed per folder. */
export function mergeFolders(
  a: FolderImportResult[],
  b: FolderImportResult[],
): FolderImportResult[] {
  const merged = new Map(a.map((f) => [f.folder, { ...f }]));
  for (const f of b) {
    const m = merged.get(f.folder);
    if (!m) merged.set(f.folder, { ...f });
    else
      for (const key of ['seen', 'copied', 'duplicates', 'failed', 'bytes', 'recovered'] as const)
        m[key] += f[key];
  }
  return [...merged.values()];
}

/** A run in progress: state, slots, and the mailboxes' live status for progress display. */
class BatchRun {
  readonly slots: ServerSlots;

  constructor(
    readonly prepared: PreparedBatch,
    readonly state: BatchState,
    readonly runId: number,
    readonly options: BatchOptions,
  ) {
    this.slots = new ServerSlots(prepared.profile.throttle.maxConnectionsPerServer);
  }

  update(key: string, change: Partial<MailboxState>): void {
    this.state.update(this.runId, key, change);
    this.options.onProgress?.(this.state.mailboxes(this.runId));
  }

  /** One mailbox, with retries for retryable errors; ABORTED goes up and leaves it queued. */
  async importMailbox(job: MailboxJob, before: MailboxState): Promise<void> {
    const { throttle } = this.prepared.profile;
    const key = job.entry.key;
    let attempts = before.attempts;
    // What failed attempts copied before they stopped: the report counts it too.
    let carried: FolderImportResult[] = [];
    for (;;) {
      attempts += 1;
      this.update(key, {
        status: 'running',
        attempts,
        startedAt: new Date().toISOString(),
        error: null,
      });
      try {
        const result = await this.slots.with(job.servers, () => this.importOnce(job, carried));
        this.update(key, doneRow(countsOf(mergeFolders(carried, result.folders)), result));
        return;
      } catch (error) {
        carried = mergeFolders(carried, partialImportResult(error)?.folders ?? []);
        if (isConnectorError(error) && error.code === 'ABORTED') {
          this.update(key, { status: 'queued' });
          throw error;
        }
        if (isConnectorError(error) && error.code === 'SERVER_THROTTLED') this.slowDown(job, error);
        const retry = isConnectorError(error) && error.retryable && attempts < throttle.attempts;
        this.update(key, {
          status: retry ? 'queued' : 'failed',
          endedAt: new Date().toISOString(),
          error: reported(error, this.prepared.passwords),
        });
        if (!retry) return;
        await sleep(throttle.retryDelaySeconds * 1000 * 2 ** (attempts - 1), this.options.signal);
      }
    }
  }

  /** A server throttled this mailbox: one connection fewer to it from now on. */
  private slowDown(job: MailboxJob, error: ConnectorError): void {
    const host = error.details?.host;
    const server =
      typeof host === 'string' && job.servers.includes(host.toLowerCase())
        ? host.toLowerCase()
        : job.servers[0]!;
    throttledBy(this.slots, server, this.options.logger);
  }

  private async importOnce(job: MailboxJob, carried: FolderImportResult[]): Promise<ImportResult> {
    const done: FolderImportResult[] = [];
    let lastFlush = 0;
    return runImport(job.source, job.spec, {
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      ...(this.options.logger ? { logger: this.options.logger } : {}),
      // A throttle the import waits out inside the attempt lowers the batch's pace too.
      onReconnect: (error) => {
        if (error.code === 'SERVER_THROTTLED') this.slowDown(job, error);
      },
      onProgress: (folder) => {
        const previous = done.at(-1);
        if (previous && previous.folder !== folder.folder) done.push({ ...folder });
        else if (previous) done[done.length - 1] = { ...folder };
        else done.push({ ...folder });
        // Written at most once a second: status readers see it move without slowing the copy.
        if (Date.now() - lastFlush >= 1000) {
          lastFlush = Date.now();
          this.update(job.entry.key, countsOf(mergeFolders(carried, done)));
        }
      },
    });
  }
}

/** The CSV of the failed mailboxes, in the hosting panel's layout with a header, owner-only. */
function writeReplayCsv(path: string, jobs: MailboxJob[]): void {
  const quote = (value: string | undefined): string =>
    value === undefined ? '' : `"${value.replace(/"/g, '""')}"`;
  const lines = [
    'IMAP server;IMAP username;IMAP password;Mailbox;Mailbox password;Owner',
    ...jobs.map(({ entry }) =>
      [
        entry.sourceServer,
        entry.sourceUser,
        entry.sourcePassword,
        entry.destinationMailbox,
        entry.destinationPassword,
        entry.owner,
      ]
        .map(quote)
        .join(';'),
    ),
  ];
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}

function reportPaths(statePath: string, name: string, runId: number) {
  const base = join(dirname(statePath), `${name.replace(/[^A-Za-z0-9._-]/g, '_')}-run${runId}`);
  return { json: `${base}.report.json`, text: `${base}.report.txt`, replay: `${base}.replay.csv` };
}

async function finish(run: BatchRun, status: RunStatus, startedAt: string): Promise<BatchReport> {
  return reportRun(
    run.prepared,
    {
      runId: run.runId,
      status,
      startedAt,
      mailboxes: run.state.mailboxes(run.runId),
      peakConnections: Object.fromEntries(run.slots.peak),
      ...(run.slots.lowered.size > 0
        ? { loweredConnections: Object.fromEntries(run.slots.lowered) }
        : {}),
    },
    (report) => run.state.endRun(run.runId, status, report),
  );
}

/** What an ended run reports, besides what the profile and the mailbox rows say. */
export interface EndedRun {
  runId: number;
  status: RunStatus;
  startedAt: string;
  mailboxes: MailboxState[];
  peakConnections: Record<string, number>;
  loweredConnections?: Record<string, number>;
}

/**
 * The report of an ended run, local or queued: a replay CSV of the failed mailboxes, the
 * report sent as the profile says, kept with the run (`record`), and written beside the
 * state as JSON and text.
 */
export async function reportRun(
  prepared: PreparedBatch,
  ended: EndedRun,
  record: (report: BatchReport) => void | Promise<void>,
): Promise<BatchReport> {
  const { profile, jobs, statePath, secrets } = prepared;
  const { runId, status, startedAt, mailboxes, ...connections } = ended;
  const paths = reportPaths(statePath, profile.name, runId);
  const failedKeys = new Set(mailboxes.filter((m) => m.status === 'failed').map((m) => m.key));
  const failedJobs = jobs.filter((job) => failedKeys.has(job.entry.key));
  if (failedJobs.length > 0 && profile.mailboxes.csv) writeReplayCsv(paths.replay, failedJobs);
  const endedAt = new Date().toISOString();
  const report: BatchReport = {
    name: profile.name,
    runId,
    status,
    startedAt,
    endedAt,
    durationMs: Date.parse(endedAt) - Date.parse(startedAt),
    totals: totalsOf(mailboxes),
    mailboxes: mailboxes.map(({ key: _key, ...rest }) => rest),
    ...(failedJobs.length > 0 && profile.mailboxes.csv ? { replayCsv: paths.replay } : {}),
    ...connections,
    notifications: [],
  };
  await notify(profile, report, secrets.smtp);
  await record(report);
  writeFileSync(paths.json, JSON.stringify(report, null, 2) + '\n', { mode: 0o600 });
  writeFileSync(paths.text, formatReportText(report), { mode: 0o600 });
  return report;
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
  return preflight(prepared.jobs, prepared.profile, slots, options);
}

/**
 * Runs a batch, or continues the one a stopped run left. Returns the report (also written
 * beside the state file as .report.json and .report.txt, and sent as the profile says).
 * @throws CONFIG_INVALID (profile, list, secrets) before any I/O; JOB_BUSY when another run
 *   of the batch is going; ABORTED when stopped (the next run continues).
 */
export async function runBatch(
  input: BatchInput,
  options: BatchOptions = {},
): Promise<BatchReport> {
  const prepared = await prepareBatch(input, options);
  const seconds = prepared.profile.throttle.batchTimeoutSeconds;
  const deadline = seconds ? AbortSignal.timeout(seconds * 1000) : undefined;
  const signals = [options.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  const lock = await acquireJobLock(prepared.statePath, 'batch', 0);
  const state = BatchState.open(prepared.statePath);
  try {
    const listed = prepared.jobs.map((job) => ({
      key: job.entry.key,
      label: job.label,
      line: job.entry.line,
    }));
    const unfinished = state.unfinishedRun();
    const runId = unfinished?.id ?? state.startRun(prepared.profile.name, listed);
    if (unfinished) state.addMailboxes(runId, listed);
    const startedAt = unfinished?.startedAt ?? new Date().toISOString();
    const run = new BatchRun(prepared, state, runId, { ...options, ...(signal ? { signal } : {}) });
    try {
      return await work(run, startedAt);
    } catch (error) {
      // The batch's own time limit: the run ends as stopped, reported and notified. A stop by
      // the caller (Ctrl-C) leaves it open for the next run to continue.
      if (deadline?.aborted && !options.signal?.aborted)
        return await finish(run, 'stopped', startedAt);
      throw error;
    }
  } finally {
    state.close();
    lock.release();
  }
}

/** Preflight, then the imports, then the report. */
async function work(run: BatchRun, startedAt: string): Promise<BatchReport> {
  const { prepared, state, runId } = run;
  const before = new Map(state.mailboxes(runId).map((m) => [m.key, m]));
  const pending = prepared.jobs.filter((job) => {
    const status = before.get(job.entry.key)?.status;
    return status !== 'done' && status !== 'skipped';
  });
  for (const job of pending) run.update(job.entry.key, { status: 'checking' });
  const checks = await preflight(pending, prepared.profile, run.slots, {
    ...run.options,
    importedBefore: state.importedBefore(),
  });
  const failed = checks.filter((check) => !check.ok);
  for (const check of failed)
    run.update(check.key, {
      status: 'failed',
      error: check.error ?? null,
      endedAt: new Date().toISOString(),
    });
  if (failed.length > 0 && prepared.profile.preflight.onFailure === 'stop') {
    for (const check of checks.filter((c) => c.ok)) run.update(check.key, { status: 'queued' });
    return finish(run, 'failed', startedAt);
  }
  for (const check of checks.filter((c) => c.ok && c.skip))
    run.update(check.key, {
      status: 'skipped',
      error: { code: 'SKIPPED', message: `Skipped: ${check.skip}.` },
      endedAt: new Date().toISOString(),
    });
  const good = new Set(checks.filter((c) => c.ok && !c.skip).map((c) => c.key));
  const toImport = pending.filter((job) => good.has(job.entry.key));
  for (const job of toImport) run.update(job.entry.key, { status: 'queued' });
  const current = new Map(state.mailboxes(runId).map((m) => [m.key, m]));
  await runPool(toImport, prepared.profile.throttle.parallelMailboxes, (job) =>
    run.importMailbox(job, current.get(job.entry.key)!),
  );
  const totals = totalsOf(state.mailboxes(runId));
  return finish(run, totals.failed > 0 ? 'failed' : 'done', startedAt);
}

/** A run as `batch list` shows it: its totals once it has ended. */
export type RunSummary = RunState & { totals?: BatchTotals };

/** The status of a batch's runs: the latest (or the given) run's mailboxes, and every run. */
export function batchStatus(
  input: BatchInput,
  options: { statePath?: string; runId?: number } = {},
): { runs: RunSummary[]; run?: RunSummary; mailboxes: MailboxState[] } {
  const statePath = statePathOf(input, options);
  const state = BatchState.open(statePath, { readonly: true });
  try {
    const runs: RunSummary[] = state.runs().map((run) => {
      const report = state.report(run.id) as BatchReport | undefined;
      return report ? { ...run, totals: report.totals } : run;
    });
    const run =
      options.runId === undefined ? runs.at(-1) : runs.find((r) => r.id === options.runId);
    return { runs, ...(run ? { run } : {}), mailboxes: run ? state.mailboxes(run.id) : [] };
  } finally {
    state.close();
  }
}
