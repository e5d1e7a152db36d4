// What Test Connection, Test Query and Preview show: their results as text and tables, and a
// failure in the connector's one shape ({ok: false, error}) as its code, message and hint.
import { el, errorText, table } from './api.js';

const addresses = (list) => (list ?? []).map((a) => a.address ?? a.name).join(', ');

/** Test Connection's result as the lines a person reads. */
export function connectionText(data) {
  if (!data.ok) return errorText(data.error);
  return [
    `OK: ${data.message}`,
    `Latency: ${data.latencyMs} ms`,
    `Folders: ${data.folders.count}`,
    `Capabilities: ${data.server.capabilities.join(' ')}`,
    ...data.warnings.map((w) => `Warning: ${w}`),
  ].join('\n');
}

export function failureBox(data) {
  return el('div', { class: 'result bad', role: 'alert' }, errorText(data.error));
}

/** Test Query: the SEARCH per folder, the counts, a few rows. */
export function queryResult(data) {
  if (!data.ok) return [failureBox(data)];
  return [
    el('p', { id: 'query-total' }, `${data.totalMatches} matching messages`),
    table(
      [
        { label: 'Folder', value: (f) => f.folder },
        { label: 'Matches', value: (f) => f.matches },
        { label: 'Messages', value: (f) => f.messages },
        { label: 'IMAP SEARCH', value: (f) => f.search },
      ],
      data.folders,
    ),
    el('h3', {}, 'Sample rows'),
    table(
      [
        { label: 'Folder', value: (r) => r.folder },
        { label: 'From', value: (r) => addresses(r.from) },
        { label: 'Subject', value: (r) => r.subject },
        { label: 'Date', value: (r) => r.date },
      ],
      data.sample,
    ),
  ];
}

const CHANGE_WORDS = { insert: 'new', update: 'flags changed', delete: 'deleted' };

/** "2 new, 1 deleted": the rows of a page by what a host does with them. */
function changeSummary(rows) {
  const counts = new Map();
  for (const row of rows) counts.set(row.op, (counts.get(row.op) ?? 0) + 1);
  return [...counts].map(([op, n]) => `${n} ${CHANGE_WORDS[op] ?? op}`).join(', ');
}

function previewCount(data) {
  const more = data.done ? '' : ' (more follow)';
  if (!data.fromCursor) return `${data.rows.length} rows on the first page${more}`;
  if (data.rows.length === 0) return 'Nothing new or changed since the last page';
  const changes = data.rows.some((r) => r.op) ? `: ${changeSummary(data.rows)}` : '';
  return `${data.rows.length} rows since the last page${changes}${more}`;
}

/**
 * Preview: a page of rows. The first from the query's start; "Next run from here" reads on
 * from the page's cursor, as a scheduled run would: new mail, and with Changes on in the form,
 * the messages whose flags changed and those deleted (a delete row carries no envelope).
 */
export function previewResult(data, onNext) {
  if (!data.ok) return [failureBox(data)];
  const ops = data.rows.some((r) => r.op);
  const columns = [
    ...(ops ? [{ label: 'Change', value: (r) => CHANGE_WORDS[r.op] ?? r.op }] : []),
    { label: 'Folder', value: (r) => r.folder },
    { label: 'UID', value: (r) => r.uid },
    { label: 'From', value: (r) => addresses(r.from) },
    { label: 'Subject', value: (r) => r.subject },
    { label: 'Date', value: (r) => r.date },
    { label: 'Flags', value: (r) => (r.flags ?? []).join(' ') },
    { label: 'Size', value: (r) => r.size },
  ];
  const next = el(
    'button',
    { id: 'preview-next', type: 'button', class: 'secondary', onclick: () => onNext(data.cursor) },
    data.done ? 'Next run from here' : 'Next page',
  );
  const help = data.done
    ? 'Reads what the next scheduled run would get from this point: new mail, and with Changes on, flag changes and deletions.'
    : '';
  return [
    el('p', { id: 'preview-count' }, previewCount(data)),
    table(columns, data.rows),
    el('div', {}, next, help ? el('span', { class: 'help' }, ` ${help}`) : ''),
  ];
}
