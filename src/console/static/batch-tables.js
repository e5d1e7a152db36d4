// The tables of a batch: its mailboxes with their progress (messages, bytes, rate, ETA), the
// preflight's verdicts, and its runs.
import { bytes, el, table } from './api.js';

function rate(m, now) {
  const started = m.startedAt ? Date.parse(m.startedAt) : undefined;
  if (!started) return { rate: '', eta: '' };
  const seconds = ((m.endedAt ? Date.parse(m.endedAt) : now) - started) / 1000;
  const perSecond = seconds >= 1 ? m.seen / seconds : 0;
  let eta = '';
  // Estimated from the folders done so far: the only total known while a mailbox copies.
  const partly = m.foldersTotal && m.foldersDone > 0 && m.foldersDone < m.foldersTotal;
  if (m.status === 'running' && partly)
    eta = `${Math.round((seconds / m.foldersDone) * (m.foldersTotal - m.foldersDone))} s`;
  return { rate: perSecond ? `${Math.round(perSecond)}/s` : '', eta };
}

/** Messages copied, duplicates and failures, as a mailbox, an import or a folder counts them. */
export const countsText = (c) =>
  c ? `${c.copied} copied, ${c.duplicates} dup., ${c.failed} failed` : '';

const statusOf = (status) => el('span', { class: `status-${status}` }, status);

export function mailboxTable(mailboxes) {
  const now = Date.now();
  return table(
    [
      { label: 'Mailbox', value: (m) => m.label },
      { label: 'Status', value: (m) => statusOf(m.status) },
      {
        label: 'Folders',
        value: (m) =>
          m.foldersTotal !== null ? `${m.foldersDone}/${m.foldersTotal}` : m.foldersDone,
      },
      {
        label: 'Messages',
        value: countsText,
      },
      { label: 'Bytes', value: (m) => bytes(m.bytes) },
      { label: 'Rate', value: (m) => rate(m, now).rate },
      { label: 'ETA', value: (m) => rate(m, now).eta },
      { label: 'Error', value: (m) => (m.error ? `${m.error.code}: ${m.error.message}` : '') },
    ],
    mailboxes,
  );
}

const verdict = (r) =>
  r.ok ? (r.skip ? `skip: ${r.skip}` : 'ok') : `${r.side ?? ''} ${r.error?.code ?? ''}`;

export function preflightTable(results) {
  return table(
    [
      { label: 'Mailbox', value: (r) => r.label },
      {
        label: 'Check',
        value: (r) => el('span', { class: r.ok ? 'ok-text' : 'bad-text' }, verdict(r)),
      },
      {
        label: 'What to do',
        value: (r) => (r.error ? `${r.error.message} ${r.error.hint ?? ''}` : ''),
      },
    ],
    results,
  );
}

// Whether the run's end reached who should know (the report's notification outcomes).
const told = (n) => `${n.channel} ${n.ok ? 'sent' : `failed: ${n.error ?? ''}`}`;

export function runsTable(runs, showReport) {
  const reportButton = (r) =>
    r.endedAt
      ? el(
          'button',
          { type: 'button', class: 'secondary', onclick: () => showReport(r.id) },
          'Report',
        )
      : '';
  return table(
    [
      { label: 'Run', value: (r) => r.id },
      { label: 'Status', value: (r) => statusOf(r.status) },
      { label: 'Started', value: (r) => r.startedAt },
      { label: 'Ended', value: (r) => r.endedAt ?? '' },
      { label: 'Copied', value: (r) => r.totals?.copied ?? '' },
      {
        label: 'Failed',
        value: (r) => (r.totals ? r.totals.failed + r.totals.failedMessages : ''),
      },
      { label: 'Told', value: (r) => (r.notifications ?? []).map(told).join('; ') },
      { label: 'Report', value: reportButton },
    ],
    runs,
  );
}
