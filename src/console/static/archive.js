// The archive: stats per account and folder (archive-stats.js), a search (archive-search.js),
// and a message shown safely (message-view.js).
import { api, el, fill } from './api.js';
import { archiveSearch } from './archive-search.js';
import { archiveStats } from './archive-stats.js';
import { showMessage } from './message-view.js';

const NO_ARCHIVE =
  'No archive: start the console with --archive FILE, or run a batch into the archive.';

export async function archivePage(main) {
  const { data } = await api('/api/archives');
  if (!Array.isArray(data) || data.length === 0) {
    main.append(
      el('section', {}, el('h2', {}, 'Archive'), el('p', { class: 'muted' }, NO_ARCHIVE)),
    );
    return;
  }
  const chooser = el(
    'select',
    { id: 'archive-name', 'aria-label': 'Archive' },
    data.map((a) => el('option', { value: a.name }, a.name)),
  );
  const stats = el('div', { id: 'archive-stats' });
  const results = el('div', { id: 'search-results', 'aria-live': 'polite' });
  const message = el('section', { id: 'message', hidden: true });
  const base = () => `/api/archives/${encodeURIComponent(chooser.value)}`;
  const showStats = () =>
    fill(
      stats,
      ...archiveStats(
        data.find((a) => a.name === chooser.value),
        base(),
      ),
    );
  const form = archiveSearch(base, results, (hit) => showMessage(message, base(), hit.id));
  chooser.addEventListener('change', showStats);
  main.append(
    el('section', {}, el('h2', {}, 'Archive'), chooser, stats),
    el('section', {}, el('h2', {}, 'Search'), form, results),
    message,
  );
  showStats();
}
