// A new batch from an uploaded CSV: name, source server (typed, or from a saved connection),
// destination (the archive or another server), how many mailboxes at a time, the list.
import { api, el, errorText } from './api.js';
import { field, security } from './form-fields.js';

/** The destination choice, and the rows for another IMAP server shown only when chosen. */
function destinationFields(prefix) {
  const destination = el(
    'select',
    { name: 'destination', id: `${prefix}-destination` },
    el('option', { value: 'archive' }, 'the embedded archive'),
    el('option', { value: 'imap' }, 'another IMAP server'),
  );
  const imapRows = el(
    'div',
    { hidden: true },
    field(
      'Destination server',
      el('input', { name: 'destinationServer', id: `${prefix}-destination-server` }),
    ),
    field('Destination port', el('input', { name: 'destinationPort' })),
    field('Destination security', security('destinationSecurity')),
  );
  const show = () => (imapRows.hidden = destination.value !== 'imap');
  destination.addEventListener('change', show);
  destination.addEventListener('settings', show);
  return [field('Destination', destination), imapRows];
}

/** A saved connection can fill in the source server (the mailboxes' logins come from the CSV). */
function sourceFromSaved(form, prefix) {
  const fromSaved = el(
    'select',
    { id: `${prefix}-source-saved` },
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
  return field('Source from a saved connection', fromSaved);
}

/** A batch's settings: the source server, the destination, how many mailboxes at a time. */
export function settingsFields(form, prefix) {
  return [
    sourceFromSaved(form, prefix),
    field(
      'Source server',
      el('input', {
        name: 'sourceServer',
        id: `${prefix}-source-server`,
        placeholder: 'imap.old-host.example',
      }),
    ),
    field('Source port', el('input', { name: 'sourcePort', id: `${prefix}-source-port` })),
    field('Source security', security('sourceSecurity', `${prefix}-source-security`)),
    ...destinationFields(prefix),
    field(
      'Mailboxes at a time',
      el('input', { name: 'parallelMailboxes', id: `${prefix}-parallel`, placeholder: '2' }),
    ),
  ];
}

/** The form's fields set from a stored profile (the batch page's settings). */
export function fillSettings(form, profile) {
  const set = (name, value) => (form.elements[name].value = value ?? '');
  const { source, destination, throttle } = profile;
  set('sourceServer', source.server);
  set('sourcePort', source.port);
  set('sourceSecurity', source.security ?? 'tls');
  set('destination', destination.imap ? 'imap' : 'archive');
  set('destinationServer', destination.imap?.server);
  set('destinationPort', destination.imap?.port);
  set('destinationSecurity', destination.imap?.security ?? 'tls');
  set('parallelMailboxes', throttle?.parallelMailboxes);
  form.elements.destination.dispatchEvent(new Event('settings'));
}

function csvField() {
  const input = el('input', {
    type: 'file',
    name: 'csv',
    id: 'batch-csv',
    accept: '.csv,text/csv,text/plain',
  });
  const help =
    'IMAP server;IMAP username;IMAP password;Mailbox;Password, email,password, or headers named loosely.';
  return field('Mailbox list (CSV)', input, help);
}

export function newBatchForm(onCreated) {
  const out = el('div', { class: 'result hidden', id: 'new-batch-result', role: 'status' });
  const form = el('form', { id: 'new-batch' });
  form.append(
    field('Name', el('input', { name: 'name', id: 'batch-name', placeholder: 'nightly' })),
    ...settingsFields(form, 'batch'),
    csvField(),
    el('button', { type: 'submit', id: 'create-batch' }, 'Create'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { status, data } = await api('/api/batches', {
      method: 'POST',
      form: new FormData(form),
    });
    out.classList.remove('hidden', 'ok', 'bad');
    out.classList.add(status === 200 ? 'ok' : 'bad');
    out.textContent = status === 200 ? `Created ${data.name}.` : errorText(data.error);
    if (status === 200) onCreated(data.name);
  });
  return el('section', {}, el('h2', {}, 'New batch from a CSV'), form, out);
}
