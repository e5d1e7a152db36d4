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
import { batchStatus, failedMailboxKeys, type BatchStatus } from '../batch/batch-status.js';
import type { PreflightResult } from '../batch/preflight.js';
import { checkBatch, runBatch } from '../batch/run-batch.js';
import { ConfigError, isConnectorError, makeError, type ConnectorErrorJson } from '../errors.js';
import { mergedSettings, renameBatchFolder } from './batch-settings.js';
import { statusOf, type ConsoleBatchStatus } from './console-batch-status.js';
import { isStoredName, notFound, storedName } from './console-errors.js';

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
    storedName(name, 'a batch');
    return join(this.dir, name, 'profile.json');
  }

  names(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter(
      (name) => isStoredName(name) && existsSync(this.profilePath(name)),
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

  /** JOB_BUSY while the batch runs here or elsewhere: its files are in use. */
  private async refuseWhileRunning(name: string, what: string): Promise<void> {
    if ((await this.status(name)).running)
      throw makeError('JOB_BUSY', `The batch ${name} is running: stop it before ${what}.`, {
        field: '/name',
      });
  }

  private readProfile(name: string): Record<string, unknown> {
    return JSON.parse(readFileSync(this.profilePath(name), 'utf8')) as Record<string, unknown>;
  }

  /**
   * A new mailbox list for a batch (a row fixed, mailboxes added): checked like an upload,
   * never while the batch runs. Mailboxes already imported go on incrementally next run.
   */
  async replaceList(name: string, csv: Uint8Array): Promise<number> {
    await this.refuseWhileRunning(name, 'changing its list');
    const count = checkMailboxCsv(csv);
    writeFileSync(join(this.dir, name, 'mailboxes.csv'), csv, { mode: 0o600 });
    this.preflights.delete(name);
    return count;
  }

  /**
   * New settings (the New batch form's: source, destination, mailboxes at a time) and perhaps a
   * new name, never while the batch runs. The rest of the profile stays. Imports already done
   * stay done where the servers are the same: a mailbox's import state is keyed by its source
   * and destination, so a new destination starts its mailboxes from the beginning.
   * @returns the batch's name afterwards
   */
  async updateSettings(
    name: string,
    settings: Record<string, unknown>,
    newName: string = name,
  ): Promise<string> {
    await this.refuseWhileRunning(name, 'changing its settings');
    const profile = { ...mergedSettings(this.readProfile(name), settings), name };
    validateBatchProfile(profile, join(this.dir, name));
    if (newName !== name) {
      if (existsSync(join(this.dir, newName)))
        throw new ConfigError([
          { field: '/name', message: `a batch named ${newName} exists already` },
        ]);
      renameBatchFolder(this.dir, name, dirname(this.profilePath(newName)));
      for (const map of [this.preflights, this.failures]) map.delete(name);
    }
    const text = JSON.stringify({ ...profile, name: newName }, null, 2) + '\n';
    writeFileSync(this.profilePath(newName), text, { mode: 0o600 });
    this.preflights.delete(newName);
    return newName;
  }

  /** Removes a batch with its state, reports and archive; never while it runs. */
  async remove(name: string): Promise<void> {
    await this.refuseWhileRunning(name, 'deleting it');
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

  /**
   * A run of only the last run's failed mailboxes, as the list says them now (a password
   * fixed in it is used), into the same state: each goes on from its own import state.
   * @throws USAGE_INVALID when the last run has not ended or failed none.
   */
  async retryFailed(name: string): Promise<void> {
    await this.refuseWhileRunning(name, 'running it again');
    const only = await failedMailboxKeys(this.profilePath(name));
    this.start(name, { only });
  }

  /** Starts a run in the background. @throws when one is running already. */
  start(name: string, options: { only?: ReadonlySet<string> } = {}): void {
    const path = this.profilePath(name);
    if (this.running.has(name))
      throw makeError('JOB_BUSY', `The batch ${name} is running already.`, { field: '/name' });
    const controller = new AbortController();
    const entry: Running = { controller, done: Promise.resolve(undefined), mailboxes: [] };
    entry.done = runBatch(path, {
      ...options,
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
  async status(name: string): Promise<ConsoleBatchStatus> {
    const path = this.profilePath(name);
    if (!existsSync(path)) throw notFound('batch');
    const stored: BatchStatus = existsSync(`${path}.state`)
      ? await batchStatus(path)
      : { runs: [], mailboxes: [] };
    return statusOf(name, stored, {
      live: this.running.get(name)?.mailboxes,
      profile: validateBatchProfile(this.readProfile(name), join(this.dir, name)),
      error: this.failures.get(name),
    });
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
