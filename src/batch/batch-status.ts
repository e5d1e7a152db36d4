/**
 * What `batch status` and `batch list` show of a local batch: its runs with their totals, and
 * the latest (or a given) run's mailboxes. A run whose records say running but whose lock no
 * process holds died (kill -9, a crash, a machine gone): it is shown as interrupted, to be
 * continued with `batch run`, never as running (issue 24).
 */
import { isJobRunning } from '../sinks/job-lock.js';
import type { BatchReport, BatchTotals } from './batch-report.js';
import type { MailboxState, RunState } from './mailbox-state.js';
import { statePathOf, type BatchInput } from './prepare-batch.js';
import { SqliteRunRecords } from './sqlite-run-records.js';

/** A run as status and list show it: its totals once it has ended; interrupted when it died. */
export type RunSummary = Omit<RunState, 'status'> & {
  status: RunState['status'] | 'interrupted';
  totals?: BatchTotals;
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
      runs.push({ ...run, status, ...(report ? { totals: report.totals } : {}) });
    }
    const run =
      options.runId === undefined ? runs.at(-1) : runs.find((r) => r.id === options.runId);
    const mailboxes = run ? await records.mailboxes(run.id) : [];
    return { runs, ...(run ? { run } : {}), mailboxes };
  } finally {
    records.close();
  }
}
