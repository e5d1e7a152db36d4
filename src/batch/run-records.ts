/**
 * Where a batch keeps its runs and status table: the one interface of the batch engine's two
 * homes, SQLite beside the profile for a local batch (sqlite-run-records.ts) and Redis for a
 * queued one (queue/redis-run-records.ts). The runner, the workers, `batch status` and the
 * reports see only this; one contract test runs against both (issue 25).
 */
import type { ListedMailbox, MailboxState, RunState, RunStatus } from './mailbox-state.js';

/** What a row must still say for an update to apply. */
export interface RowGuard {
  attempts: number;
  worker?: string;
}

export interface RunRecords {
  /**
   * The run still going (not ended), with the listed mailboxes it does not know yet added as
   * queued; else a new run of them. Two callers at once get the same run.
   */
  openRun(name: string, mailboxes: readonly ListedMailbox[]): Promise<RunState>;
  /** Every run, oldest first. */
  runs(): Promise<RunState[]>;
  /** A run's mailboxes in list order. */
  mailboxes(runId: number): Promise<MailboxState[]>;
  mailbox(runId: number, key: string): Promise<MailboxState | undefined>;
  /**
   * Changes the fields given of one mailbox's row, only when the row exists and (with `expect`)
   * still is the one an attempt wrote; false otherwise. A worker whose run's records vanished
   * (Redis lost them) must not write into a new run that happens to have the same id.
   */
  update(
    runId: number,
    key: string,
    change: Partial<MailboxState>,
    expect?: RowGuard,
  ): Promise<boolean>;
  /**
   * Ends a run that has not ended, with its report; false when it had ended already (two
   * coordinators following one queued run: only the first reports and notifies).
   */
  endRun(runId: number, status: RunStatus, report: unknown): Promise<boolean>;
  /** Replaces an ended run's report (once its notifications were sent). */
  saveReport(runId: number, report: unknown): Promise<void>;
  report(runId: number): Promise<unknown>;
  /** Keys of mailboxes some run imported: their destination's mail is the batch's own. */
  importedBefore(): Promise<Set<string>>;
}
