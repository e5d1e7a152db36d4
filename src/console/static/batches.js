// Imports and batches: every batch with its runs, a new batch from an uploaded CSV, the
// preflight before the start button is enabled, live progress by server-sent events
// (messages, bytes, rate, ETA per mailbox), stop, and a finished run's report.
import { api, fill, bytes, el, errorText, table } from './api.js';

function rate(m, now) {
  const started = m.startedAt ? Date.parse(m.startedAt) : undefined;
  if (!started) return { rate: '', eta: '' };
  const seconds = ((m.endedAt ? Date.parse(m.endedAt) : now) - started) / 1000;
  const perSecond = seconds >= 1 ? m.seen / seconds : 0;
  let eta = '';
  // Estimated from the folders done so far: the only total known while a mailbox copies.
  if (
    m.status === 'running' &&
    m.foldersTotal &&
    m.foldersDone > 0 &&
    m.foldersDone < m.foldersTotal
  )
    eta = `${Math.round((seconds / m.foldersDone) * (m.foldersTotal - m.foldersDone))} s`;
  return { rate: perSecond ? `${Math.round(perSecond)}/s` : '', eta };
}

function mailboxTable(mailboxes) {
  const now = Date.now();
  return table(
    [
      { label: 'Mailbox', value: (m) => m.label },
      { label: 'Status', value: (m) => el('span', { class: `status-${m.status}` }, m.status) },
      {
        label: 'Folders',
        value: (m) =>
          m.foldersTotal !== null ? `${m.foldersDone}/${m.foldersTotal}` : m.foldersDone,
      },
      {
        label: 'Messages',
        value: (m) => `${m.copied} copied, ${m.duplicates} dup., ${m.failed} failed`,
      },
      { label: 'Bytes', value: (m) => bytes(m.bytes) },
      { label: 'Rate', value: (m) => rate(m, now).rate },
      { label: 'ETA', value: (m) => rate(m, now).eta },
      { label: 'Error', value: (m) => (m.error ? `${m.error.code}: ${m.error.message}` : '') },
    ],
    mailboxes,
  );
}

function newBatchForm(onCreated) {
  const out = el('div', { class: 'result hidden', id: 'new-batch-result' });
  const destination = el(
    'select',
    { name: 'destination', id: 'batch-destination' },
    el('option', { value: 'archive' }, 'the embedded archive'),
    el('option', { value: 'imap' }, 'another IMAP server'),
  );
  const imapRows = el(
    'div',
    { hidden: true },
    field(
      'Destination server',
      el('input', { name: 'destinationServer', id: 'batch-destination-server' }),
    ),
    field('Destination port', el('input', { name: 'destinationPort' })),
    field('Destination security', security('destinationSecurity')),
  );
  destination.addEventListener('change', () => (imapRows.hidden = destination.value !== 'imap'));
  // A saved connection can fill in the source server (the mailboxes' logins come from the CSV).
  const fromSaved = el(
    'select',
    { id: 'batch-source-saved' },
    el('option', { value: '' }, 'type it below'),
  );
  api('/api/connections').then(({ data }) => {
    for (const saved of Array.isArray(data) ? data : [])
      fromSaved.append(el('option', { value: saved.name }, saved.name));
  });
  fromSaved.addEventListener('change', async () => {
    if (!fromSaved.value) return;
    const { data } = await api(`/api/connections/${encodeURIComponent(fromSaved.value)}`);
    form.elements.sourceServer.value = data.config.server ?? '';
    form.elements.sourcePort.value = data.config.port ?? '';
    form.elements.sourceSecurity.value = data.config.security ?? 'tls';
  });
  const form = el(
    'form',
    { id: 'new-batch' },
    field('Name', el('input', { name: 'name', id: 'batch-name', placeholder: 'nightly' })),
    field('Source from a saved connection', fromSaved),
    field(
      'Source server',
      el('input', {
        name: 'sourceServer',
        id: 'batch-source-server',
        placeholder: 'imap.old-host.example',
      }),
    ),
    field('Source port', el('input', { name: 'sourcePort', id: 'batch-source-port' })),
    field('Source security', security('sourceSecurity', 'batch-source-security')),
    field('Destination', destination),
    imapRows,
    field('Mailboxes at a time', el('input', { name: 'parallelMailboxes', placeholder: '2' })),
    field(
      'Mailbox list (CSV)',
      el('input', {
        type: 'file',
        name: 'csv',
        id: 'batch-csv',
        accept: '.csv,text/csv,text/plain',
      }),
      'IMAP server;IMAP username;IMAP password;Mailbox;Password, email,password, or headers named loosely.',
    ),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { status, data } = await api('/api/batches', {
      method: 'POST',
      form: new FormData(form),
    });
    out.classList.remove('hidden', 'ok', 'bad');
    if (status === 200) {
      out.classList.add('ok');
      out.textContent = `Created ${data.name}.`;
      onCreated(data.name);
    } else {
      out.classList.add('bad');
      out.textContent = errorText(data.error);
    }
  });
  form.append(el('button', { type: 'submit', id: 'create-batch' }, 'Create'));
  return el('section', {}, el('h2', {}, 'New batch from a CSV'), form, out);
}

function field(label, input, help) {
  return el(
    'div',
    { class: 'field' },
    el('label', {}, label),
    input,
    help ? el('div', { class: 'help' }, help) : null,
  );
}

function security(name, id) {
  return el(
    'select',
    { name, id },
    ['tls', 'starttls', 'none'].map((v) => el('option', { value: v }, v)),
  );
}

async function batchView(main, name) {
  const summary = el('div', { id: 'batch-summary' });
  const preflight = el('div', { id: 'preflight' });
  const progress = el('div', { id: 'progress' });
  const runs = el('div', { id: 'runs' });
  const report = el('div', { class: 'result hidden', id: 'report' });
  const start = el('button', { id: 'start-batch', disabled: true }, 'Start');
  const stop = el('button', { id: 'stop-batch', class: 'secondary', disabled: true }, 'Stop');
  const check = el('button', { id: 'run-preflight', class: 'secondary' }, 'Preflight');

  check.addEventListener('click', async () => {
    fill(preflight, el('p', { class: 'muted' }, 'Logging in to every mailbox ...'));
    const { data } = await api(`/api/batches/${encodeURIComponent(name)}/preflight`, {
      method: 'POST',
    });
    if (!data.ok) {
      fill(preflight, el('div', { class: 'result bad' }, errorText(data.error)));
      return;
    }
    const good = data.results.filter((r) => r.ok).length;
    fill(
      preflight,
      el('p', { id: 'preflight-summary' }, `${good} of ${data.results.length} mailboxes ready`),
      table(
        [
          { label: 'Mailbox', value: (r) => r.label },
          {
            label: 'Check',
            value: (r) =>
              el(
                'span',
                { class: r.ok ? 'ok-text' : 'bad-text' },
                r.ok
                  ? r.skip
                    ? `skip: ${r.skip}`
                    : 'ok'
                  : `${r.side ?? ''} ${r.error?.code ?? ''}`,
              ),
          },
          {
            label: 'What to do',
            value: (r) => (r.error ? `${r.error.message} ${r.error.hint ?? ''}` : ''),
          },
        ],
        data.results,
      ),
    );
    start.disabled = good === 0;
  });
  start.addEventListener('click', async () => {
    start.disabled = true;
    const { data } = await api(`/api/batches/${encodeURIComponent(name)}/start`, {
      method: 'POST',
    });
    if (!data.ok) preflight.append(el('div', { class: 'result bad' }, errorText(data.error)));
  });
  stop.addEventListener('click', async () => {
    stop.disabled = true;
    await api(`/api/batches/${encodeURIComponent(name)}/stop`, { method: 'POST' });
  });

  async function showReport(runId) {
    const { data } = await api(`/api/batches/${encodeURIComponent(name)}/report/${runId}`);
    report.classList.remove('hidden');
    report.textContent = data.text ?? 'No report for that run.';
  }

  function render(status) {
    fill(
      summary,
      el(
        'p',
        {},
        `Source: ${status.profile.source.server}  Destination: ${status.profile.destination.archive ? 'the archive' : status.profile.destination.imap.server}`,
      ),
      el(
        'p',
        { id: 'batch-state', class: status.running ? 'status-running' : 'muted' },
        status.running
          ? 'running'
          : status.runs.length
            ? `last run ${status.runs.at(-1).status}`
            : 'not run yet',
      ),
    );
    stop.disabled = !status.running;
    if (status.error)
      summary.append(
        el('div', { class: 'result bad', id: 'batch-error' }, errorText(status.error)),
      );
    // A stopped run continues where it was; its mailboxes passed their preflight already.
    if (status.interrupted) start.disabled = false;
    fill(
      progress,
      status.mailboxes.length
        ? mailboxTable(status.mailboxes)
        : el('p', { class: 'muted' }, 'No mailbox has run yet.'),
    );
    fill(
      runs,
      table(
        [
          { label: 'Run', value: (r) => r.id },
          { label: 'Status', value: (r) => el('span', { class: `status-${r.status}` }, r.status) },
          { label: 'Started', value: (r) => r.startedAt },
          { label: 'Ended', value: (r) => r.endedAt ?? '' },
          { label: 'Copied', value: (r) => r.totals?.copied ?? '' },
          {
            label: 'Report',
            value: (r) =>
              r.endedAt
                ? el('button', { class: 'secondary', onclick: () => showReport(r.id) }, 'Report')
                : '',
          },
        ],
        status.runs,
      ),
    );
  }

  main.append(
    el('p', {}, el('a', { href: '#batches' }, 'All batches')),
    el('section', {}, el('h2', {}, `Batch ${name}`), summary, check, start, stop, preflight),
    el('section', {}, el('h2', {}, 'Mailboxes'), progress),
    el('section', {}, el('h2', {}, 'Runs'), runs, report),
  );
  const first = await api(`/api/batches/${encodeURIComponent(name)}`);
  render(first.data);
  const events = new EventSource(`/api/batches/${encodeURIComponent(name)}/events`);
  events.addEventListener('status', (event) => render(JSON.parse(event.data)));
  events.addEventListener('end', () => events.close());
  return () => events.close();
}

export async function batchesPage(main, path) {
  if (path[0]) return batchView(main, decodeURIComponent(path[0]));
  const { data } = await api('/api/batches');
  const list = Array.isArray(data) ? data : [];
  main.append(
    el(
      'section',
      {},
      el('h2', {}, 'Batches'),
      list.length
        ? table(
            [
              { label: 'Name', value: (b) => b.name },
              {
                label: 'State',
                value: (b) =>
                  b.running
                    ? el('span', { class: 'status-running' }, 'running')
                    : (b.runs.at(-1)?.status ?? 'not run'),
              },
              { label: 'Runs', value: (b) => b.runs.length },
              { label: 'Mailboxes', value: (b) => b.mailboxes.length },
            ],
            list,
            (b) => (location.hash = `#batches/${encodeURIComponent(b.name)}`),
          )
        : el('p', { class: 'muted' }, 'No batch yet.'),
    ),
    newBatchForm((name) => (location.hash = `#batches/${encodeURIComponent(name)}`)),
  );
}
