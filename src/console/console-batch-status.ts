/**
 * What the console shows of a batch: its runs, the latest run's mailboxes (live while this
 * console runs it), whether it runs here or elsewhere, and what Start and Retry would do.
 */
import type { BatchProfile } from '../batch/batch-profile.js';
import type { BatchStatus } from '../batch/batch-status.js';
import type { MailboxState } from '../batch/mailbox-state.js';
import type { ConnectorErrorJson } from '../errors.js';

export interface ConsoleBatchStatus {
  name: string;
  running: boolean;
  /** Running in another process (batch run on the command line): this console cannot stop it. */
  runningElsewhere: boolean;
  /** Its last run was stopped (or its process died) before the end: Start continues it. */
  interrupted: boolean;
  /** Mailboxes the last run failed, which Retry failed runs again (0 when none). */
  retryable: number;
  runs: BatchStatus['runs'];
  mailboxes: MailboxState[];
  /** What the batch page shows and its settings form edits; never a secret. */
  profile: Record<string, unknown>;
  error: ConnectorErrorJson | null;
}

export function statusOf(
  name: string,
  stored: BatchStatus,
  here: {
    live: MailboxState[] | undefined;
    profile: BatchProfile;
    error: ConnectorErrorJson | undefined;
  },
): ConsoleBatchStatus {
  const { live, profile } = here;
  const last = stored.runs.at(-1)?.status;
  // The records say running only while a live process holds the run (issue 24).
  const elsewhere = live === undefined && last === 'running';
  return {
    name,
    running: live !== undefined || elsewhere,
    runningElsewhere: elsewhere,
    interrupted: live === undefined && last === 'interrupted',
    retryable:
      last === 'done' || last === 'failed'
        ? stored.mailboxes.filter((m) => m.status === 'failed').length
        : 0,
    runs: stored.runs,
    mailboxes: live && live.length > 0 ? live : stored.mailboxes,
    profile: {
      source: profile.source,
      destination: profile.destination,
      throttle: { parallelMailboxes: profile.throttle.parallelMailboxes },
    },
    error: here.error ?? null,
  };
}
