// One batch: its summary, the preflight before Start is enabled, Start and Stop, live progress
// by server-sent events, and a finished run's report.
import { api, el, errorText, fill, streamEvents } from './api.js';
import { BatchSettings } from './batch-settings.js';
import { mailboxTable, preflightTable, runsTable } from './batch-tables.js';

class BatchView {
  constructor(name) {
    this.name = name;
    this.base = `/api/batches/${encodeURIComponent(name)}`;
    this.summary = el('div', { id: 'batch-summary' });
    this.preflight = el('div', { id: 'preflight', 'aria-live': 'polite' });
    this.progress = el('div', { id: 'progress' });
    this.runs = el('div', { id: 'runs' });
    this.report = el('div', { class: 'result hidden', id: 'report' });
    this.start = el('button', { id: 'start-batch', type: 'button', disabled: true }, 'Start');
    this.stop = el(
      'button',
      { id: 'stop-batch', type: 'button', class: 'secondary', disabled: true },
      'Stop',
    );
    this.check = el(
      'button',
      { id: 'run-preflight', type: 'button', class: 'secondary' },
      'Preflight',
    );
    this.remove = el(
      'button',
      { id: 'delete-batch', type: 'button', class: 'secondary' },
      'Delete',
    );
    this.retry = el(
      'button',
      { id: 'retry-failed', type: 'button', class: 'secondary', disabled: true },
      'Retry failed mailboxes',
    );
    this.confirm = el('div', { id: 'confirm-delete', role: 'alertdialog', hidden: true });
    this.retry.addEventListener('click', () => this.retryFailed());
    this.settings = new BatchSettings(name, this.base, () => (this.start.disabled = true));
    this.remove.addEventListener('click', () => this.askDelete());
    this.listControls();
    this.check.addEventListener('click', () => this.runPreflight());
    this.start.addEventListener('click', () => this.startRun());
    this.stop.addEventListener('click', () => this.stopRun());
  }

  async runPreflight() {
    fill(this.preflight, el('p', { class: 'muted' }, 'Logging in to every mailbox ...'));
    const { data } = await api(`${this.base}/preflight`, { method: 'POST' });
    if (!data.ok)
      return fill(this.preflight, el('div', { class: 'result bad' }, errorText(data.error)));
    const good = data.results.filter((r) => r.ok).length;
    const summary = `${good} of ${data.results.length} mailboxes ready`;
    fill(
      this.preflight,
      el('p', { id: 'preflight-summary' }, summary),
      preflightTable(data.results),
    );
    this.start.disabled = good === 0;
  }

  /** Only the mailboxes the last run failed, each from where its import stopped. */
  async retryFailed() {
    this.retry.disabled = true;
    const { data } = await api(`${this.base}/retry-failed`, { method: 'POST' });
    if (!data.ok) this.preflight.append(el('div', { class: 'result bad' }, errorText(data.error)));
  }

  async startRun() {
    this.start.disabled = true;
    const { data } = await api(`${this.base}/start`, { method: 'POST' });
    if (!data.ok) this.preflight.append(el('div', { class: 'result bad' }, errorText(data.error)));
  }

  /** Live status by server-sent events, reconnecting after a drop (streamEvents). */
  follow() {
    this.events ??= streamEvents(`${this.base}/events`, (status) => this.render(status));
  }

  close() {
    this.events?.close();
  }

  /** Deleting is asked once more, naming what goes: the batch, its state and its reports. */
  askDelete() {
    const yes = el(
      'button',
      { id: 'confirm-delete-yes', type: 'button' },
      `Delete ${this.name} and its state`,
    );
    const no = el('button', { type: 'button', class: 'secondary' }, 'Cancel');
    yes.addEventListener('click', () => this.deleteBatch());
    no.addEventListener('click', () => (this.confirm.hidden = true));
    fill(
      this.confirm,
      el(
        'p',
        {},
        `Delete the batch ${this.name}: its settings, mailbox list, state, reports and its archive? This cannot be undone.`,
      ),
      yes,
      no,
    );
    this.confirm.hidden = false;
    yes.focus();
  }

  async deleteBatch() {
    const { data } = await api(this.base, { method: 'DELETE' });
    if (!data.ok)
      return this.confirm.append(el('div', { class: 'result bad' }, errorText(data.error)));
    this.close();
    location.hash = '#batches';
  }

  listControls() {
    this.listFile = el('input', {
      type: 'file',
      id: 'replace-csv-file',
      accept: '.csv,text/csv,text/plain',
      'aria-label': 'New mailbox list (CSV)',
    });
    this.listButton = el(
      'button',
      { id: 'replace-csv', type: 'button', class: 'secondary' },
      'Replace mailbox list',
    );
    this.listResult = el('div', { id: 'replace-csv-result', role: 'status' });
    this.listButton.addEventListener('click', () => this.replaceList());
  }

  /** A corrected or longer list: checked at upload, used from the next preflight on. */
  async replaceList() {
    const form = new FormData();
    if (this.listFile.files[0]) form.set('csv', this.listFile.files[0]);
    const { data } = await api(`${this.base}/csv`, { method: 'PUT', form });
    this.listResult.className = `result ${data.ok ? 'ok' : 'bad'}`;
    this.listResult.textContent = data.ok
      ? `The list now has ${data.mailboxes} mailboxes; run Preflight before Start.`
      : errorText(data.error);
    if (data.ok) this.start.disabled = true;
  }

  async stopRun() {
    this.stop.disabled = true;
    await api(`${this.base}/stop`, { method: 'POST' });
  }

  async showReport(runId) {
    const { data } = await api(`${this.base}/report/${runId}`);
    this.report.classList.remove('hidden');
    this.report.textContent = data.text ?? errorText(data.error);
  }

  stateText(status) {
    if (status.runningElsewhere) return 'running (started elsewhere: stop it there)';
    if (status.running) return 'running';
    if (status.interrupted) return 'stopped before the end: Start continues it';
    return status.runs.length ? `last run ${status.runs.at(-1).status}` : 'not run yet';
  }

  /** What can be done now: nothing that changes a batch's files while it runs. */
  enableControls(status) {
    this.stop.disabled = !status.running || status.runningElsewhere;
    this.remove.disabled = status.running;
    this.listButton.disabled = status.running;
    this.retry.disabled = status.running || !status.retryable;
    this.retry.textContent = status.retryable
      ? `Retry ${status.retryable} failed mailbox${status.retryable === 1 ? '' : 'es'}`
      : 'Retry failed mailboxes';
    // A stopped run continues where it was; its mailboxes passed their preflight already.
    if (status.interrupted) this.start.disabled = false;
  }

  render(status) {
    const { profile } = status;
    const destination = profile.destination.archive
      ? 'the archive'
      : profile.destination.imap.server;
    const state = el(
      'p',
      { id: 'batch-state', class: status.running ? 'status-running' : 'muted' },
      this.stateText(status),
    );
    fill(
      this.summary,
      el('p', {}, `Source: ${profile.source.server}  Destination: ${destination}`),
      state,
    );
    this.enableControls(status);
    this.settings.show(status);
    if (status.error)
      this.summary.append(
        el('div', { class: 'result bad', id: 'batch-error' }, errorText(status.error)),
      );
    fill(
      this.progress,
      status.mailboxes.length
        ? mailboxTable(status.mailboxes)
        : el('p', { class: 'muted' }, 'No mailbox has run yet.'),
    );
    fill(
      this.runs,
      runsTable(status.runs, (runId) => this.showReport(runId)),
    );
  }

  element() {
    const controls = [
      this.summary,
      this.check,
      this.start,
      this.stop,
      this.retry,
      this.remove,
      this.confirm,
      this.preflight,
    ];
    return [
      el('p', {}, el('a', { href: '#batches' }, 'All batches')),
      el('section', {}, el('h2', {}, `Batch ${this.name}`), ...controls),
      el('section', {}, el('h2', {}, 'Mailboxes'), this.progress),
      el('section', {}, el('h2', {}, 'Runs'), this.runs, this.report),
      this.settings.element(),
      el(
        'section',
        {},
        el('h2', {}, 'Mailbox list'),
        el('p', { class: 'muted' }, 'Fix a row or add mailboxes: the new list is checked at once.'),
        this.listFile,
        this.listButton,
        this.listResult,
      ),
    ];
  }
}

export async function batchView(main, name) {
  const view = new BatchView(name);
  main.append(...view.element());
  view.render((await api(view.base)).data);
  view.follow();
  return () => view.close();
}
