/**
 * Batches the console knows: each in `<dataDir>/batches/NAME/` with its profile (profile.json),
 * its mailbox list (mailboxes.csv, owner-only: it holds passwords), its state (profile.state)
 * and reports, the same files `imap-connector batch` uses. A batch started here runs in this
 * process and can be stopped (cleanly: state saved, a later run resumes).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { checkMailboxCsv } from '../batch/mailbox-list.js';
import { dirname, join } from 'node:path';
import type { BatchReport } from '../batch/batch-report.js';
import { validateBatchProfile } from '../batch/batch-profile.js';
import type { MailboxState } from '../batch/mailbox-state.js';
import { batchStatus, type BatchStatus } from '../batch/batch-status.js';
import type { PreflightResult } from '../batch/preflight.js';
import { checkBatch, runBatch } from '../batch/run-batch.js';
import { ConfigError, isConnectorError, makeError, type ConnectorErrorJson } from '../errors.js';
import { notFound } from './console-errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface NewBatch {
  name: string;
  /** The profile without `name` and `mailboxes` (source, destination, copy, throttle, ...). */
  profile: Record<string, unknown>;
  /** The uploaded file's bytes, kept as they are (the batch decodes them as `batch run` does). */
  csv: Uint8Array;
}

interface Running {
  controller: AbortController;
  done: Promise<BatchReport | undefined>;
  mailboxes: MailboxState[];
  report?: BatchReport;
  error?: unknown;
}

export class ConsoleBatches {
  private readonly dir: string;
  private readonly running = new Map<string, Running>();
  private readonly preflights = new Map<string, PreflightResult[]>();
  /** Why the last run started here ended with an error (a stop is none). */
  private readonly failures = new Map<string, ConnectorErrorJson>();

  constructor(
    dataDir: string,
    private readonly env: Record<string, string | undefined>,
  ) {
    this.dir = join(dataDir, 'batches');
  }

  private profilePath(name: string): string {
    if (!NAME.test(name))
      throw new ConfigError([
        {
          field: '/name',
          message: 'a batch name is 1-64 letters, digits, dots, dashes or underscores',
        },
      ]);
    return join(this.dir, name, 'profile.json');
  }

  names(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter(
      (name) => NAME.test(name) && existsSync(this.profilePath(name)),
    );
  }

  /**
   * Writes a new batch: the profile is checked (ajv, every problem named) and the mailbox list
   * parsed (each problem with its line and column) before anything is written.
   */
  create(batch: NewBatch): void {
    const path = this.profilePath(batch.name);
    const profile = { ...batch.profile, name: batch.name, mailboxes: { csv: 'mailboxes.csv' } };
    validateBatchProfile(profile, join(this.dir, batch.name));
    checkMailboxCsv(batch.csv);
    if (existsSync(path))
      throw new ConfigError([
        { field: '/name', message: `a batch named ${batch.name} exists already` },
      ]);
    mkdirSync(join(this.dir, batch.name), { recursive: true, mode: 0o700 });
    writeFileSync(join(this.dir, batch.name, 'mailboxes.csv'), batch.csv, { mode: 0o600 });
    writeFileSync(path, JSON.stringify(profile, null, 2) + '\n', { mode: 0o600 });
  }

  /**
   * A new mailbox list for a batch (a row fixed, mailboxes added): checked like an upload,
   * never while the batch runs. Mailboxes already imported go on incrementally next run.
   */
  async replaceList(name: string, csv: Uint8Array): Promise<number> {
    if ((await this.status(name)).running)
      throw makeError(
        'JOB_BUSY',
        `The batch ${name} is running: stop it before changing its list.`,
        {
          field: '/name',
        },
      );
    const count = checkMailboxCsv(csv);
    writeFileSync(join(this.dir, name, 'mailboxes.csv'), csv, { mode: 0o600 });
    this.preflights.delete(name);
    return count;
  }

  /** Removes a batch with its state, reports and archive; never while it runs. */
  async remove(name: string): Promise<void> {
    if ((await this.status(name)).running)
      throw makeError('JOB_BUSY', `The batch ${name} is running: stop it before deleting it.`, {
        field: '/name',
      });
    this.preflights.delete(name);
    this.failures.delete(name);
    rmSync(join(this.dir, name), { recursive: true, force: true });
  }

  async preflight(name: string, signal: AbortSignal): Promise<PreflightResult[]> {
    const results = await checkBatch(this.profilePath(name), { env: this.env, signal });
    this.preflights.set(name, results);
    return results;
  }

  lastPreflight(name: string): PreflightResult[] | undefined {
    return this.preflights.get(name);
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /** Starts a run in the background. @throws when one is running already. */
  start(name: string): void {
    const path = this.profilePath(name);
    if (this.running.has(name))
      throw makeError('JOB_BUSY', `The batch ${name} is running already.`, { field: '/name' });
    const controller = new AbortController();
    const entry: Running = { controller, done: Promise.resolve(undefined), mailboxes: [] };
    entry.done = runBatch(path, {
      env: this.env,
      signal: controller.signal,
      onProgress: (mailboxes) => {
        entry.mailboxes = mailboxes;
      },
    }).then(
      (report) => {
        entry.report = report;
        return report;
      },
      (error: unknown) => {
        entry.error = error;
        if (!(isConnectorError(error) && error.code === 'ABORTED'))
          this.failures.set(
            name,
            isConnectorError(error)
              ? error.toJSON()
              : makeError('INTERNAL', `The batch failed: ${(error as Error)?.message}`).toJSON(),
          );
        return undefined;
      },
    );
    this.failures.delete(name);
    this.running.set(name, entry);
    void entry.done.finally(() => this.running.delete(name));
  }

  /** Stops a running batch: the import in flight stops after its step, its state saved. */
  async stop(name: string): Promise<boolean> {
    const entry = this.running.get(name);
    if (!entry) return false;
    entry.controller.abort();
    await entry.done;
    return true;
  }

  /** Runs, the latest run's mailboxes (live while it runs), and whether it is running. */
  async status(name: string): Promise<{
    name: string;
    running: boolean;
    /** Running in another process (batch run on the command line): this console cannot stop it. */
    runningElsewhere: boolean;
    /** Its last run was stopped (or its process died) before the end: Start continues it. */
    interrupted: boolean;
    runs: BatchStatus['runs'];
    mailboxes: MailboxState[];
    profile: Record<string, unknown>;
    error: ConnectorErrorJson | null;
  }> {
    const path = this.profilePath(name);
    if (!existsSync(path)) throw notFound('batch');
    const stored: BatchStatus = existsSync(`${path}.state`)
      ? await batchStatus(path)
      : { runs: [], mailboxes: [] };
    const live = this.running.get(name);
    const profile = validateBatchProfile(
      JSON.parse(readFileSync(path, 'utf8')) as unknown,
      join(this.dir, name),
    ) as unknown as Record<string, unknown>;
    // The records say running only while a live process holds the run (issue 24).
    const elsewhere = live === undefined && stored.runs.at(-1)?.status === 'running';
    return {
      name,
      running: live !== undefined || elsewhere,
      runningElsewhere: elsewhere,
      interrupted: live === undefined && stored.runs.at(-1)?.status === 'interrupted',
      runs: stored.runs,
      mailboxes: live && live.mailboxes.length > 0 ? live.mailboxes : stored.mailboxes,
      profile: { source: profile.source, destination: profile.destination },
      error: this.failures.get(name) ?? null,
    };
  }

  /** A finished run's report (text and JSON), as `batch run` wrote it beside the state. */
  report(name: string, runId: number): { text: string; json: unknown } | undefined {
    const base = join(dirname(this.profilePath(name)), `${name}-run${runId}`);
    if (!existsSync(`${base}.report.json`)) return undefined;
    return {
      text: readFileSync(`${base}.report.txt`, 'utf8'),
      json: JSON.parse(readFileSync(`${base}.report.json`, 'utf8')) as unknown,
    };
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.stop(name)));
  }
}
