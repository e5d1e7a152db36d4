// The archive: stats per account and folder (with the folder as mbox), a search by sender,
// recipient, subject, date range and attachment name, a message shown safely (text, and the
// HTML sanitized in a sandboxed frame that loads nothing remote) and as .eml.
import { api, fill, bytes, el, errorText, table } from './api.js';

export async function archivePage(main) {
  const { data } = await api('/api/archives');
  if (!Array.isArray(data) || data.length === 0) {
    main.append(
      el(
        'section',
        {},
        el('h2', {}, 'Archive'),
        el(
          'p',
          { class: 'muted' },
          'No archive: start the console with --archive FILE, or run a batch into the archive.',
        ),
      ),
    );
    return;
  }
  const chooser = el(
    'select',
    { id: 'archive-name' },
    data.map((a) => el('option', { value: a.name }, a.name)),
  );
  const stats = el('div', { id: 'archive-stats' });
  const results = el('div', { id: 'search-results' });
  const message = el('section', { id: 'message', hidden: true });
  const inputs = {};
  const form = el(
    'form',
    { class: 'search-form', id: 'search' },
    [
      ['from', 'Sender'],
      ['to', 'Recipient'],
      ['subject', 'Subject'],
      ['attachment', 'Attachment name'],
      ['since', 'From date (YYYY-MM-DD)'],
      ['until', 'To date (YYYY-MM-DD)'],
    ].map(([name, label]) => {
      inputs[name] = el('input', {
        name,
        id: `search-${name}`,
        type: name === 'since' || name === 'until' ? 'date' : 'text',
      });
      return el('div', {}, el('label', { for: `search-${name}` }, label), inputs[name]);
    }),
    el('div', {}, el('button', { type: 'submit', id: 'search-button' }, 'Search')),
  );
  const base = () => `/api/archives/${encodeURIComponent(chooser.value)}`;

  function showStats() {
    const archive = data.find((a) => a.name === chooser.value);
    fill(
      stats,
      el(
        'p',
        {},
        `${archive.stats.messages} messages, ${bytes(archive.stats.bytes)} (${bytes(archive.stats.storedBytes)} stored)`,
      ),
      table(
        [
          { label: 'Account', value: (f) => f.account },
          { label: 'Folder', value: (f) => f.folder },
          { label: 'Messages', value: (f) => f.messages },
          { label: 'Size', value: (f) => bytes(f.bytes) },
          { label: 'From', value: (f) => f.firstDate ?? '' },
          { label: 'To', value: (f) => f.lastDate ?? '' },
          {
            label: '',
            value: (f) =>
              el(
                'a',
                {
                  href: `${base()}/mbox?account=${encodeURIComponent(f.account)}&folder=${encodeURIComponent(f.folder)}`,
                  download: '',
                },
                'mbox',
              ),
          },
        ],
        archive.stats.folders,
      ),
    );
  }

  async function open(hit) {
    const { status, data: view } = await api(`${base()}/messages/${hit.id}`);
    message.hidden = false;
    if (status !== 200) {
      fill(message, el('div', { class: 'result bad' }, errorText(view.error)));
      return;
    }
    fill(
      message,
      el('h2', { id: 'message-subject' }, view.subject ?? '(no subject)'),
      el('p', {}, `From: ${view.from}`),
      el('p', {}, `To: ${view.to}${view.cc ? `  Cc: ${view.cc}` : ''}`),
      el(
        'p',
        { class: 'muted' },
        `${view.date ?? ''}  ${view.account} / ${view.folder} / UID ${view.uid}`,
      ),
      el(
        'p',
        {},
        el(
          'a',
          { href: `${base()}/messages/${hit.id}/eml`, download: '', id: 'download-eml' },
          'Download .eml',
        ),
      ),
      view.attachments.length
        ? el(
            'p',
            {},
            `Attachments: ${view.attachments.map((a) => `${a.filename ?? '(unnamed)'} (${bytes(a.size)})`).join(', ')}`,
          )
        : null,
      view.hasHtml
        ? el('iframe', {
            class: 'message-html',
            id: 'message-html',
            sandbox: '',
            referrerpolicy: 'no-referrer',
            src: `${base()}/messages/${hit.id}/html`,
            title: 'The message as HTML, remote content blocked',
          })
        : null,
      el('pre', { class: 'result', id: 'message-text' }, view.text),
    );
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [name, input] of Object.entries(inputs))
      if (input.value.trim()) params.set(name, input.value.trim());
    const started = performance.now();
    const { status, data: found } = await api(`${base()}/search?${params}`);
    if (status !== 200) {
      fill(results, el('div', { class: 'result bad' }, errorText(found.error)));
      return;
    }
    fill(
      results,
      el(
        'p',
        { id: 'search-count', 'data-ms': Math.round(performance.now() - started) },
        `${found.total} messages${found.total > found.hits.length ? `, the newest ${found.hits.length} shown` : ''} (${found.elapsedMs} ms)`,
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
        open,
      ),
    );
  });
  chooser.addEventListener('change', showStats);
  main.append(
    el('section', {}, el('h2', {}, 'Archive'), chooser, stats),
    el('section', {}, el('h2', {}, 'Search'), form, results),
    message,
  );
  showStats();
}
