// Imports and batches: every batch with its runs and a new batch from an uploaded CSV
// (batch-form.js), the single imports (imports.js); one batch's preflight, start, stop, live
// progress and reports (batch-view.js).
import { api, el, table } from './api.js';
import { newBatchForm } from './batch-form.js';
import { batchView } from './batch-view.js';
import { importsSections } from './imports.js';

const stateOf = (b) =>
  b.running
    ? el('span', { class: 'status-running' }, 'running')
    : (b.runs.at(-1)?.status ?? 'not run');

export async function batchesPage(main, path) {
  if (path[0]) return batchView(main, decodeURIComponent(path[0]));
  const { data } = await api('/api/batches');
  const list = Array.isArray(data) ? data : [];
  const open = (name) => (location.hash = `#batches/${encodeURIComponent(name)}`);
  const batches = list.length
    ? table(
        [
          { label: 'Name', value: (b) => b.name },
          { label: 'State', value: stateOf },
          { label: 'Runs', value: (b) => b.runs.length },
          { label: 'Mailboxes', value: (b) => b.mailboxes.length },
        ],
        list,
        (b) => open(b.name),
      )
    : el('p', { class: 'muted' }, 'No batch yet.');
  main.append(el('section', {}, el('h2', {}, 'Batches'), batches), newBatchForm(open));
  return importsSections(main);
}
