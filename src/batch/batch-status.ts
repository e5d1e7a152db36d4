/**
 * What `batch status` and `batch list` show of a local batch: its runs with their totals, and
 * the latest (or a given) run's mailboxes. A run whose records say running but whose lock no
 * process holds died (kill -9, a crash, a machine gone): it is shown as interrupted, to be
 * continued with `batch run`, never as running (issue 24).
 */
import { makeError } from '../errors.js';
import { isJobRunning } from '../sinks/job-lock.js';
import type { BatchReport, BatchTotals } from './batch-report.js';
import type { MailboxState, RunState } from './mailbox-state.js';
import { statePathOf, type BatchInput } from './prepare-batch.js';
import { SqliteRunRecords } from './sqlite-run-records.js';

/** A run as status and list show it: its totals once it has ended; interrupted when it died. */
export type RunSummary = Omit<RunState, 'status'> & {
  status: RunState['status'] | 'interrupted';
  totals?: BatchTotals;
  /** Who was told of the run's end, and whether it reached them. */
  notifications?: BatchReport['notifications'];
};

export interface BatchStatus {
  runs: RunSummary[];
  run?: RunSummary;
  mailboxes: MailboxState[];
}

/** The status of a batch's runs: the latest (or the given) run's mailboxes, and every run. */
export async function batchStatus(
  input: BatchInput,
  options: { statePath?: string; runId?: number } = {},
): Promise<BatchStatus> {
  const statePath = statePathOf(input, options);
  const records = SqliteRunRecords.open(statePath, { readonly: true });
  try {
    const live = isJobRunning(statePath, 'batch');
    const runs: RunSummary[] = [];
    for (const run of await records.runs()) {
      const report = (await records.report(run.id)) as BatchReport | undefined;
      const status = run.status === 'running' && !live ? 'interrupted' : run.status;
      const told = report ? { totals: report.totals, notifications: report.notifications } : {};
      runs.push({ ...run, status, ...told });
    }
    const run =
      options.runId === undefined ? runs.at(-1) : runs.find((r) => r.id === options.runId);
    const mailboxes = run ? await records.mailboxes(run.id) : [];
    return { runs, ...(run ? { run } : {}), mailboxes };
  } finally {
    records.close();
  }
}

/**
 * The mailboxes the batch's last run failed, for a run of only those (`batch run
 * --failed-only`, the console's Retry failed): each goes on from its own import state.
 * @throws USAGE_INVALID when the last run did not end (continue it instead) or failed none.
 */
export async function failedMailboxKeys(
  input: BatchInput,
  options: { statePath?: string } = {},
): Promise<Set<string>> {
  const { run, mailboxes } = await batchStatus(input, options);
  if (run?.status === 'running' || run?.status === 'interrupted')
    throw makeError(
      'USAGE_INVALID',
      'The last run has not ended: run the batch without --failed-only to continue it.',
      { field: '/failedOnly' },
    );
  const failed = mailboxes.filter((m) => m.status === 'failed').map((m) => m.key);
  if (failed.length === 0)
    throw makeError('USAGE_INVALID', 'The last run failed no mailbox: nothing to run again.', {
      field: '/failedOnly',
    });
  return new Set(failed);
}
