/**
 * What `batch status`, `batch check` and `batch list` print: one line per mailbox (and per
 * run), made for a person watching a night's batch.
 */
import type { RunSummary } from '../batch/batch-status.js';
import type { MailboxState } from '../batch/mailbox-state.js';
import type { PreflightResult } from '../batch/preflight.js';
import { formatDuration } from '../date-text.js';

export const counts = (mailboxes: MailboxState[]): string => {
  const by = (status: MailboxState['status']): number =>
    mailboxes.filter((m) => m.status === status).length;
  const copied = mailboxes.reduce((sum, m) => sum + m.copied, 0);
  return `${mailboxes.length} mailboxes: ${by('done')} done, ${by('running')} running, ${by('checking')} checking, ${by('failed')} failed, ${by('queued')} queued; ${copied} messages copied`;
};

/** The exit code a run's report means: 0 when every mailbox ended well, else the worst failure. */

/** One line per mailbox: what a person checks during and after a night's run. */
export function formatStatus(mailboxes: MailboxState[], now = Date.now(), dead = false): string {
  const lines = mailboxes.map((m) => {
    const started = m.startedAt ? Date.parse(m.startedAt) : undefined;
    const ended = m.endedAt ? Date.parse(m.endedAt) : undefined;
    const seconds = started ? ((ended ?? now) - started) / 1000 : 0;
    // A dead run's "running" mailboxes are not running: no rate that falls for ever.
    const shown =
      dead && (m.status === 'running' || m.status === 'checking') ? 'stopped' : m.status;
    const rate = seconds >= 1 && shown === 'running' ? `  ${Math.round(m.seen / seconds)}/s` : '';
    const folders =
      m.foldersTotal !== null
        ? `${m.foldersDone}/${m.foldersTotal} folders`
        : `${m.foldersDone} folders`;
    const error = m.error ? `  ${m.error.code}: ${m.error.message}` : '';
    const worker = m.worker ? `  on ${m.worker}` : '';
    return `${shown.toUpperCase().padEnd(8)} ${m.label}  ${folders}, ${m.copied} copied, ${m.duplicates} duplicates, ${m.failed} failed, ${m.bytes} bytes${rate}${m.attempts > 1 ? `, ${m.attempts} attempts` : ''}${worker}${error}`;
  });
  return [...lines, counts(mailboxes)].join('\n') + '\n';
}

/** A mailbox that passed: what will happen, then its folders with their counts. */
function formatReady(c: PreflightResult): string {
  const head = c.skip
    ? `SKIP     ${c.label}: ${c.skip}`
    : `OK       ${c.label}${c.plan ? `: ${c.plan}` : ''}`;
  const folders = (c.folders ?? []).map(
    (folder) => `         ${String(folder.messages).padStart(7)}  ${folder.path}`,
  );
  const removes = (c.removes ?? []).map(
    (folder) =>
      `         ${String(-folder.messages).padStart(7)}  ${folder.path} (destination, removed first)`,
  );
  return [head, ...folders, ...removes].join('\n');
}

export function formatChecks(checks: PreflightResult[]): string {
  const lines = checks.map((c) =>
    c.ok
      ? formatReady(c)
      : `FAILED   ${c.label} (${c.side}): ${c.error?.code} ${c.error?.message ?? ''}${c.error?.hint ? `\n         hint: ${c.error.hint}` : ''}`,
  );
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(`${checks.length - failed} of ${checks.length} mailboxes ready, ${failed} failed`);
  return lines.join('\n') + '\n';
}

export function formatRuns(runs: RunSummary[]): string {
  if (runs.length === 0) return 'No runs yet.\n';
  const lines = runs.map((run) => {
    const duration = run.endedAt
      ? formatDuration((Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000)
      : run.status === 'interrupted'
        ? 'interrupted: continue it with batch run'
        : 'running';
    const t = run.totals;
    const totals = t
      ? `  ${t.done}/${t.mailboxes} mailboxes done, ${t.failed} failed, ${t.copied} messages copied, ${t.bytes} bytes`
      : '';
    return `run ${run.id}  ${run.status.toUpperCase().padEnd(8)} ${run.startedAt} - ${run.endedAt ?? '...'} (${duration})${totals}`;
  });
  return lines.join('\n') + '\n';
}
