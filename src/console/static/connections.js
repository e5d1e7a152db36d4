// Connections: the form from connector.json (connection-form.js), checked by the server as
// the user types; Test Connection, Test Query, Preview (connection-results.js); saved
// connections whose secrets never come back (saved-connections.js).
import { api, el, fill } from './api.js';
import { ConnectionForm } from './connection-form.js';
import { connectionText, previewResult, queryResult } from './connection-results.js';
import { loadConnection, saveConnection, savedConnections } from './saved-connections.js';

const button = (id, label, onclick, secondary) =>
  el('button', { id, type: 'button', class: secondary ? 'secondary' : undefined, onclick }, label);

function showResult(box, ok, text) {
  box.classList.remove('hidden', 'ok', 'bad');
  box.classList.add(ok ? 'ok' : 'bad');
  box.textContent = text;
}

/** The page's parts and what its buttons do. */
class ConnectionsPage {
  constructor(manifest) {
    this.profile = null;
    this.status = el('div', { class: 'muted', id: 'validation-status', role: 'status' });
    this.result = el('div', { class: 'result hidden', id: 'test-result', role: 'status' });
    this.query = el('textarea', { id: 'query', rows: 2, placeholder: 'ALL' });
    this.queryBox = el('div', { id: 'query-result', 'aria-live': 'polite' });
    this.name = el('input', {
      id: 'profile-name',
      placeholder: 'name to save as',
      'aria-label': 'Name to save the connection as',
    });
    this.form = new ConnectionForm(manifest, () => this.changed());
    this.saved = savedConnections((name) => this.pick(name));
  }

  request(extra = {}) {
    return { config: this.form.values(), profile: this.profile ?? undefined, ...extra };
  }

  changed() {
    this.form.refresh();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.validate(), 250);
  }

  async validate() {
    const { data } = await api('/api/connections/validate', {
      method: 'POST',
      body: this.request(),
    });
    const issues = data.ok ? [] : (data.error?.details?.issues ?? []);
    this.form.showIssues(issues);
    this.status.textContent = data.ok
      ? 'The settings are valid.'
      : `${issues.length} problem(s) in the settings.`;
    this.status.className = data.ok ? 'ok-text' : 'bad-text';
  }

  async pick(name) {
    const data = await loadConnection(name);
    this.profile = name;
    this.name.value = name;
    this.form.load(data.config, data.storedSecrets);
    this.changed();
    await this.saved.select(name);
  }

  async save() {
    const target = this.name.value.trim();
    const data = await saveConnection(target, this.form.values());
    if (data.ok === false) return showResult(this.result, false, connectionText(data));
    this.profile = target;
    this.form.saved(data.storedSecrets);
    showResult(this.result, true, `Saved as ${target}.`);
    this.form.refresh();
    await this.saved.select(target);
  }

  async testConnection() {
    showResult(this.result, true, 'Testing ...');
    const { data } = await api('/api/connections/test', { method: 'POST', body: this.request() });
    showResult(this.result, data.ok, connectionText(data));
  }

  /** Test Query or Preview: the query box's text against the form's connection. */
  async run(path, render, extra = {}) {
    fill(this.queryBox, el('p', { class: 'muted' }, 'Running ...'));
    const body = this.request({ query: this.query.value, ...extra });
    const { data } = await api(path, { method: 'POST', body });
    fill(this.queryBox, ...render(data));
  }

  /** Preview from the query's start, or from a cursor a preview returned. */
  preview(cursor) {
    const render = (data) => previewResult(data, (next) => this.preview(next));
    return this.run('/api/connections/preview', render, cursor ? { cursor } : {});
  }

  connectionSection() {
    return el(
      'section',
      {},
      el('h2', {}, 'Connection'),
      this.form.element,
      this.status,
      el(
        'div',
        {},
        button('test-connection', 'Test Connection', () => this.testConnection()),
        this.name,
        button('save', 'Save', () => this.save(), true),
      ),
      this.result,
    );
  }

  querySection() {
    const help = 'As RFC 3501 writes it, with FOLDER, LIMIT and ISO dates: UNSEEN SINCE 2024-01-01';
    return el(
      'section',
      {},
      el('h2', {}, 'Query'),
      el(
        'div',
        { class: 'field' },
        el('label', { for: 'query' }, 'IMAP SEARCH'),
        this.query,
        el('div', { class: 'help' }, help),
      ),
      button('test-query', 'Test Query', () =>
        this.run('/api/connections/test-query', queryResult),
      ),
      button('preview', 'Preview', () => this.preview(), true),
      this.queryBox,
    );
  }

  element() {
    const reload = () => {
      location.hash = '#connections';
      location.reload();
    };
    const savedSection = el(
      'section',
      {},
      el('h2', {}, 'Saved'),
      this.saved.list,
      button('new-connection', 'New', reload, true),
    );
    return el(
      'div',
      { class: 'columns' },
      savedSection,
      el('div', {}, this.connectionSection(), this.querySection()),
    );
  }
}

export async function connectionsPage(main) {
  const page = new ConnectionsPage((await api('/api/connections/manifest')).data);
  main.append(page.element());
  page.form.refresh();
  await page.saved.refresh();
}
