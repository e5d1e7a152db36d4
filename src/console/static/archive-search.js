// The archive search: by sender, recipient, subject, attachment name and date range; the hits
// as a table whose rows open the message.
import { api, el, errorText, fill, table } from './api.js';

const FIELDS = [
  ['from', 'Sender'],
  ['to', 'Recipient'],
  ['subject', 'Subject'],
  ['attachment', 'Attachment name'],
  ['since', 'From date (YYYY-MM-DD)'],
  ['until', 'To date (YYYY-MM-DD)'],
];

function hitsTable(found, started, onOpen) {
  const more = found.total > found.hits.length ? `, the newest ${found.hits.length} shown` : '';
  return [
    el(
      'p',
      { id: 'search-count', 'data-ms': Math.round(performance.now() - started) },
      `${found.total} messages${more} (${found.elapsedMs} ms)`,
    ),
    table(
      [
        { label: 'Date', value: (h) => h.date ?? '' },
        { label: 'From', value: (h) => h.from },
        { label: 'Subject', value: (h) => h.subject },
        { label: 'Folder', value: (h) => `${h.account} / ${h.folder}` },
        { label: 'Attachments', value: (h) => h.attachments.join(', ') },
      ],
      found.hits,
      onOpen,
    ),
  ];
}

/** The search form and its results; `base()` is the chosen archive's API path. */
export function archiveSearch(base, results, onOpen) {
  const inputs = {};
  const form = el(
    'form',
    { class: 'search-form', id: 'search' },
    FIELDS.map(([name, label]) => {
      const type = name === 'since' || name === 'until' ? 'date' : 'text';
      inputs[name] = el('input', { name, id: `search-${name}`, type });
      return el('div', {}, el('label', { for: `search-${name}` }, label), inputs[name]);
    }),
    el('div', {}, el('button', { type: 'submit', id: 'search-button' }, 'Search')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [name, input] of Object.entries(inputs))
      if (input.value.trim()) params.set(name, input.value.trim());
    const started = performance.now();
    const { status, data: found } = await api(`${base()}/search?${params}`);
    if (status !== 200)
      return fill(results, el('div', { class: 'result bad' }, errorText(found.error)));
    fill(results, ...hitsTable(found, started, onOpen));
  });
  return form;
}
