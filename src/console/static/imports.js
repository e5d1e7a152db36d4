// Single imports, listed with the batches: one mailbox from a saved connection into the
// archive or another saved connection (imap-connector import --state). Start, Stop, live
// counts while one runs (asked once a second), and each run's result per folder.
import { api, el, errorText, fill, table } from './api.js';
import { countsText } from './batch-tables.js';
import { field } from './form-fields.js';

function liveTotals(folders) {
  const sum = (key) => folders.reduce((n, f) => n + f[key], 0);
  return { copied: sum('copied'), duplicates: sum('duplicates'), failed: sum('failed') };
}

function stateText(imp) {
  if (imp.running) return `running: ${countsText(liveTotals(imp.folders))}`;
  const last = imp.runs.at(-1);
  if (!last) return 'not run yet';
  if (last.status === 'stopped') return 'stopped before the end: Start continues it';
  return `last run ${last.status}: ${countsText(last.totals)}`;
}

/** A run's result as the CLI prints it in short: per folder, then each failed message and why. */
function resultText(run, result) {
  const lines = [`Run ${run.id}: ${run.status}, ${run.startedAt} to ${run.endedAt ?? ''}`];
  if (run.error) lines.push(errorText(run.error));
  for (const f of result?.folders ?? []) {
    lines.push(`${f.folder} -> ${f.destination}: ${countsText(f)}`);
    for (const failure of f.failures)
      lines.push(`  UID ${failure.uid}: ${failure.code}: ${failure.message}`);
  }
  return lines.join('\n');
}

class ImportsList {
  constructor() {
    this.list = el('div', { id: 'imports-list', 'aria-live': 'polite' });
    this.result = el('pre', { id: 'import-result', class: 'result hidden' });
    this.timer = undefined;
  }

  async refresh() {
    const { data } = await api('/api/imports');
    const imports = Array.isArray(data) ? data : [];
    fill(
      this.list,
      imports.length
        ? table(
            [
              { label: 'Name', value: (i) => i.name },
              { label: 'From', value: (i) => i.definition.source },
              {
                label: 'To',
                value: (i) => i.definition.destination.connection ?? 'the archive',
              },
              { label: 'State', value: (i) => el('span', { class: 'import-state' }, stateText(i)) },
              { label: 'Actions', value: (i) => this.actions(i) },
            ],
            imports,
          )
        : el('p', { class: 'muted' }, 'No import yet.'),
    );
    // Asked again while one runs, so its counts move and its end shows.
    clearTimeout(this.timer);
    if (imports.some((i) => i.running)) this.timer = setTimeout(() => this.refresh(), 1000);
  }

  actions(imp) {
    const name = encodeURIComponent(imp.name);
    const act = async (path) => {
      const { data } = await api(`/api/imports/${name}/${path}`, { method: 'POST' });
      if (!data.ok) this.show(errorText(data.error));
      await this.refresh();
    };
    const last = imp.runs.at(-1);
    return [
      imp.running
        ? el('button', { type: 'button', class: 'secondary', onclick: () => act('stop') }, 'Stop')
        : el('button', { type: 'button', onclick: () => act('start') }, 'Start'),
      last && !imp.running
        ? el(
            'button',
            { type: 'button', class: 'secondary', onclick: () => this.showRun(imp.name, last) },
            'Result',
          )
        : null,
    ];
  }

  async showRun(name, run) {
    const { data } = await api(`/api/imports/${encodeURIComponent(name)}/runs/${run.id}`);
    this.show(resultText(run, data.ok === false ? undefined : data));
  }

  show(text) {
    this.result.classList.remove('hidden');
    this.result.textContent = text;
  }

  close() {
    clearTimeout(this.timer);
  }
}

/** The New import form: saved connections only, so no password is typed here. */
function newImportForm(onCreated) {
  const out = el('div', { class: 'result hidden', id: 'new-import-result', role: 'status' });
  const source = el('select', { name: 'source', id: 'import-source' });
  const destination = el(
    'select',
    { name: 'destination', id: 'import-destination' },
    el('option', { value: 'archive' }, 'the embedded archive'),
  );
  api('/api/connections').then(({ data }) => {
    for (const saved of Array.isArray(data) ? data : []) {
      source.append(el('option', { value: saved.name }, saved.name));
      destination.append(el('option', { value: saved.name }, saved.name));
    }
  });
  const form = el(
    'form',
    { id: 'new-import' },
    field('Name', el('input', { name: 'name', id: 'import-name', placeholder: 'alice' })),
    field('From (a saved connection)', source),
    field('To', destination),
    field(
      'Query',
      el('input', { name: 'query', id: 'import-query', placeholder: 'ALL' }),
      'Which messages, in the query language (SINCE 1-Jan-2024, FROM alice, ...); all when empty.',
    ),
    el('button', { type: 'submit', id: 'create-import' }, 'Create'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(new FormData(form));
    const { status, data } = await api('/api/imports', { method: 'POST', body });
    out.classList.remove('hidden', 'ok', 'bad');
    out.classList.add(status === 200 ? 'ok' : 'bad');
    out.textContent = status === 200 ? `Created ${data.name}.` : errorText(data.error);
    if (status === 200) onCreated();
  });
  return el('section', {}, el('h2', {}, 'New import of one mailbox'), form, out);
}

/** The imports' sections of the Imports and batches page; returns what to stop on leaving. */
export function importsSections(main) {
  const imports = new ImportsList();
  main.append(
    el('section', {}, el('h2', {}, 'Imports'), imports.list, imports.result),
    newImportForm(() => imports.refresh()),
  );
  imports.refresh();
  return () => imports.close();
}
