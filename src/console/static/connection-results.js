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

/** Preview: the first page of rows. */
export function previewResult(data) {
  if (!data.ok) return [failureBox(data)];
  return [
    el(
      'p',
      { id: 'preview-count' },
      `${data.rows.length} rows on the first page${data.done ? '' : ' (more follow)'}`,
    ),
    table(
      [
        { label: 'Folder', value: (r) => r.folder },
        { label: 'UID', value: (r) => r.uid },
        { label: 'From', value: (r) => addresses(r.from) },
        { label: 'Subject', value: (r) => r.subject },
        { label: 'Date', value: (r) => r.date },
        { label: 'Size', value: (r) => r.size },
      ],
      data.rows,
    ),
  ];
}
