/**
 * The protocol of a batch run: per mailbox and per folder what was copied, totals, duration,
 * errors with codes and hints. As JSON (for machines and the webhook) and as text (for the
 * email and a person). Built from the state, so it holds labels and counts, never a password,
 * token or CSV line.
 */
import { formatDuration } from '../date-text.js';
import type { FolderCounts, MailboxState, RunStatus } from './mailbox-state.js';

export interface BatchTotals {
  mailboxes: number;
  done: number;
  failed: number;
  skipped: number;
  /** Not reached: queued when the run stopped (or preflight stopped it). */
  notStarted: number;
  seen: number;
  copied: number;
  duplicates: number;
  failedMessages: number;
  bytes: number;
  /** Source messages a delete action removed once copied (the deletion rules). */
  sourceDeleted: number;
  /** Replace mode: destination messages removed before the copy. */
  destinationRemoved: number;
  /** Replace mode: mailboxes whose jobs ran before without it, so nothing was emptied. */
  replaceSkipped: number;
}

export interface BatchReport {
  name: string;
  runId: number;
  status: RunStatus;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  totals: BatchTotals;
  mailboxes: Omit<MailboxState, 'key'>[];
  /** The CSV of the mailboxes that failed, to run again as it is (owner-only; it holds passwords). */
  replayCsv?: string;
  /** The most connections held at once per server. */
  peakConnections: Record<string, number>;
  /** Servers that throttled the batch, with the connection cap the batch lowered them to. */
  loweredConnections?: Record<string, number>;
  notifications: { channel: 'email' | 'webhook'; ok: boolean; error?: string }[];
}

export function totalsOf(mailboxes: MailboxState[]): BatchTotals {
  const count = (status: MailboxState['status']): number =>
    mailboxes.filter((m) => m.status === status).length;
  const sum = (field: 'seen' | 'copied' | 'duplicates' | 'failed' | 'bytes'): number =>
    mailboxes.reduce((total, m) => total + m[field], 0);
  return {
    mailboxes: mailboxes.length,
    done: count('done'),
    failed: count('failed'),
    skipped: count('skipped'),
    notStarted: mailboxes.length - count('done') - count('failed') - count('skipped'),
    seen: sum('seen'),
    copied: sum('copied'),
    duplicates: sum('duplicates'),
    failedMessages: sum('failed'),
    bytes: sum('bytes'),
    sourceDeleted: mailboxes.reduce((total, m) => total + sourceDeletedOf(m), 0),
    destinationRemoved: mailboxes.reduce((total, m) => total + removedOf(m), 0),
    replaceSkipped: mailboxes.filter(replaceSkipped).length,
  };
}

/** A mailbox's source messages deleted after copying, over its folders. */
export function sourceDeletedOf(mailbox: Pick<MailboxState, 'folders'>): number {
  return mailbox.folders.reduce((total, f) => total + (f.sourceDeleted ?? 0), 0);
}

/** A mailbox's destination messages removed by replace mode, over its folders. */
function removedOf(mailbox: Pick<MailboxState, 'folders'>): number {
  return mailbox.folders.reduce((total, f) => total + (f.destinationRemoved ?? 0), 0);
}

/** Replace mode asked for a mailbox whose job ran before without it: nothing was emptied. */
const replaceSkipped = (mailbox: Pick<MailboxState, 'folders'>): boolean =>
  mailbox.folders.some((f) => f.replaceSkipped === true);

const removedText = (count: number): string =>
  count > 0 ? `${count} removed at the destination (replace), ` : '';
const skippedText = (mailbox: Pick<MailboxState, 'folders'>): string =>
  replaceSkipped(mailbox) ? 'nothing emptied (replace: the job ran before without it), ' : '';
const deletedText = (count: number): string =>
  count > 0 ? `, ${count} deleted at the source` : '';

/** A mailbox's folders where something happened (the others would bury them), a line each. */
function folderLines(mailbox: Pick<MailboxState, 'folders'>): string[] {
  const busy = (f: FolderCounts): boolean =>
    f.seen + f.copied + f.duplicates + f.failed + (f.destinationRemoved ?? 0) > 0 ||
    (f.flagsUpdated ?? 0) + (f.deletionsMirrored ?? 0) > 0 ||
    f.flagsLeftOut !== undefined;
  const flagsText = (f: FolderCounts): string =>
    (f.flagsUpdated ? `, flags of ${f.flagsUpdated} updated` : '') +
    (f.deletionsMirrored ? `, ${f.deletionsMirrored} deleted at the source removed` : '') +
    (f.flagsLeftOut
      ? `, left out as the folder cannot keep them: ${f.flagsLeftOut.join(', ')}`
      : '');
  return mailbox.folders
    .filter(busy)
    .map(
      (f) =>
        `           ${f.folder}: ${removedText(f.destinationRemoved ?? 0)}${f.copied} copied, ${f.duplicates} duplicates, ${f.failed} failed${deletedText(f.sourceDeleted ?? 0)}${flagsText(f)}`,
    );
}

/** Every channel's outcome, so the run's log says whether anyone was told. */
function notificationLines(report: BatchReport): string[] {
  return report.notifications.map((n) =>
    n.ok
      ? `Notification by ${n.channel}: sent`
      : `Notification by ${n.channel} failed: ${n.error ?? 'unknown error'}`,
  );
}

/** The report as a person reads it: a headline, the totals, then one block per mailbox. */
export function formatReportText(report: BatchReport): string {
  const t = report.totals;
  const lines = [
    `Batch "${report.name}", run ${report.runId}: ${report.status.toUpperCase()}`,
    `${report.startedAt} - ${report.endedAt} (${formatDuration(report.durationMs / 1000)})`,
    `Mailboxes: ${t.mailboxes} (${t.done} done, ${t.failed} failed, ${t.skipped} skipped, ${t.notStarted} not started)`,
    `Messages: ${t.copied} copied, ${t.duplicates} already there, ${t.failedMessages} failed, of ${t.seen} seen; ${t.bytes} bytes`,
    ...(t.sourceDeleted > 0 ? [`Deleted at the source after copying: ${t.sourceDeleted}`] : []),
    ...(t.destinationRemoved > 0
      ? [`Removed from the destination before copying (replace): ${t.destinationRemoved}`]
      : []),
    ...(t.replaceSkipped > 0
      ? [
          `Not emptied though replace was asked: ${t.replaceSkipped} mailboxes, whose jobs ran before without it (what those runs copied may be gone from the source); a new state file starts a job over`,
        ]
      : []),
    ...Object.entries(report.loweredConnections ?? {}).map(
      ([server, cap]) => `Throttled by ${server}: connections to it lowered to ${cap}`,
    ),
    '',
  ];
  for (const m of report.mailboxes) {
    lines.push(
      `${m.status.toUpperCase().padEnd(8)} ${m.label}: ${removedText(removedOf(m))}${skippedText(m)}${m.copied} copied, ${m.duplicates} duplicates, ${m.failed} failed${deletedText(sourceDeletedOf(m))}${m.attempts > 1 ? ` (${m.attempts} attempts)` : ''}`,
    );
    lines.push(...folderLines(m));
    if (m.error) {
      lines.push(`           ${m.error.code}: ${m.error.message}`);
      if (m.error.hint) lines.push(`           hint: ${m.error.hint}`);
    }
  }
  if (report.replayCsv) lines.push('', `Failed mailboxes to run again: ${report.replayCsv}`);
  lines.push(...notificationLines(report));
  return lines.join('\n') + '\n';
}
