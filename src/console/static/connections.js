// Connections: the form drawn from connector.json alone (groups, labels, types, required,
// secrets, advanced settings folded, conditions, placeholders, defaults, help, allowed values),
// checked against the schema by the server as the user types; Test Connection, Test Query,
// Preview; saved connections whose secrets never come back.
import { api, fill, el, errorText, table } from './api.js';

function shown(field, values, fields) {
  const show = field.displayOptions?.show;
  if (!show) return true;
  return Object.entries(show).every(([other, allowed]) => {
    let value = values[other];
    if (value === undefined) value = fields.find((f) => f.name === other)?.default;
    return allowed.includes(value);
  });
}

function inputOf(field, onChange) {
  const id = `field-${field.name}`;
  let input;
  if (field.type === 'boolean') {
    input = el('input', { type: 'checkbox', id, checked: field.default === true });
  } else if (field.type === 'enum') {
    input = el(
      'select',
      { id },
      field.allowedValues.map((value) =>
        el(
          'option',
          { value, selected: value === field.default },
          field.valueLabels?.[value] ?? value,
        ),
      ),
    );
  } else if (field.type === 'text') {
    input = el('textarea', { id, rows: 3 });
  } else {
    input = el('input', {
      id,
      type: field.secret ? 'password' : 'text',
      autocomplete: field.secret ? 'new-password' : 'off',
      placeholder:
        field.type === 'stringList'
          ? 'comma separated'
          : field.default !== undefined
            ? String(field.default)
            : '',
    });
  }
  input.addEventListener('input', onChange);
  input.addEventListener('change', onChange);
  return input;
}

export async function connectionsPage(main) {
  const manifest = (await api('/api/connections/manifest')).data;
  const fields = manifest.connectionFields.filter(
    (f) => !['isActive', 'isSource', 'isTarget', 'query'].includes(f.name),
  );
  const inputs = new Map();
  const rows = new Map();
  const errors = new Map();
  let profile = null;
  let stored = [];

  function values() {
    const out = {};
    for (const field of fields) {
      const input = inputs.get(field.name);
      if (field.type === 'boolean') out[field.name] = input.checked;
      else if (input.value.trim() !== '') {
        const text = input.value.trim();
        if (field.type === 'integer' || field.type === 'number')
          out[field.name] = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
        else if (field.type === 'stringList')
          out[field.name] = text
            .split(/[,\n]/)
            .map((s) => s.trim())
            .filter(Boolean);
        else out[field.name] = field.type === 'text' ? input.value : text;
      }
    }
    // Hidden fields are neither required nor sent.
    for (const field of fields) if (!shown(field, out, fields)) delete out[field.name];
    return out;
  }

  /** Shows the fields the current choices call for and sets the placeholders that follow them. */
  function refresh() {
    const raw = {};
    for (const field of fields)
      raw[field.name] =
        field.type === 'boolean'
          ? inputs.get(field.name).checked
          : inputs.get(field.name).value || undefined;
    for (const field of fields) {
      rows.get(field.name).hidden = !shown(field, raw, fields);
      if (field.placeholder) {
        const by =
          raw[field.placeholder.field] ??
          fields.find((f) => f.name === field.placeholder.field)?.default;
        inputs.get(field.name).placeholder = field.placeholder.values[by] ?? '';
      }
      if (field.secret)
        inputs.get(field.name).placeholder = stored.includes(field.name)
          ? 'stored (leave empty to keep)'
          : '';
    }
  }

  let timer;
  async function validate() {
    const { data } = await api('/api/connections/validate', {
      method: 'POST',
      body: { config: values(), profile: profile ?? undefined },
    });
    for (const field of fields) {
      const issue = (data.issues ?? []).find(
        (i) => i.field === `/${field.name}` || i.field.startsWith(`/${field.name}/`),
      );
      rows.get(field.name).classList.toggle('invalid', Boolean(issue));
      errors.get(field.name).textContent = issue ? issue.message : '';
    }
    status.textContent = data.ok
      ? 'The settings are valid.'
      : `${(data.issues ?? []).length} problem(s) in the settings.`;
    status.className = data.ok ? 'ok-text' : 'bad-text';
  }
  function changed() {
    refresh();
    clearTimeout(timer);
    timer = setTimeout(validate, 250);
  }

  const form = el('div', { id: 'connection-form' });
  for (const group of manifest.groups) {
    const inGroup = fields.filter((f) => f.group === group.id);
    if (inGroup.length === 0) continue;
    const advanced = el('div', { class: 'hidden', 'data-advanced': group.id });
    const plain = el('div');
    for (const field of inGroup) {
      const input = inputOf(field, changed);
      inputs.set(field.name, input);
      const error = el('div', { class: 'error' });
      errors.set(field.name, error);
      const row = el(
        'div',
        { class: 'field', 'data-field': field.name },
        el(
          'label',
          { for: input.id, class: field.required ? 'required' : '', title: field.help },
          field.label,
        ),
        input,
        el('div', { class: 'help' }, field.help),
        error,
      );
      rows.set(field.name, row);
      (field.advanced ? advanced : plain).append(row);
    }
    const toggle = el('span', { class: 'toggle' }, 'Show advanced settings');
    toggle.addEventListener('click', () => {
      advanced.classList.toggle('hidden');
      toggle.textContent = advanced.classList.contains('hidden')
        ? 'Show advanced settings'
        : 'Hide advanced settings';
    });
    form.append(
      el('h3', {}, group.label),
      plain,
      advanced.childElementCount ? toggle : null,
      advanced,
    );
  }

  const status = el('div', { class: 'muted', id: 'validation-status' });
  const result = el('div', { class: 'result hidden', id: 'test-result' });
  const query = el('textarea', { id: 'query', rows: 2, placeholder: 'ALL' });
  const queryResult = el('div', { id: 'query-result' });
  const name = el('input', { id: 'profile-name', placeholder: 'name to save as' });
  const saved = el('ul', { class: 'list', id: 'profiles' });

  function show(box, ok, text) {
    box.classList.remove('hidden', 'ok', 'bad');
    box.classList.add(ok ? 'ok' : 'bad');
    box.textContent = text;
  }

  async function testConnection() {
    show(result, true, 'Testing ...');
    const { data } = await api('/api/connections/test', {
      method: 'POST',
      body: { config: values(), profile: profile ?? undefined },
    });
    if (data.ok)
      show(
        result,
        true,
        [
          `OK: ${data.message}`,
          `Latency: ${data.latencyMs} ms`,
          `Folders: ${data.folders.count}`,
          `Capabilities: ${data.server.capabilities.join(' ')}`,
          ...data.warnings.map((w) => `Warning: ${w}`),
        ].join('\n'),
      );
    else
      show(
        result,
        false,
        data.code
          ? `${data.code}: ${data.message}${data.hint ? `\n${data.hint}` : ''}`
          : errorText(data.error),
      );
  }

  async function testQuery() {
    fill(queryResult, el('p', { class: 'muted' }, 'Running ...'));
    const { data } = await api('/api/connections/test-query', {
      method: 'POST',
      body: { config: values(), profile: profile ?? undefined, query: query.value },
    });
    if (!data.ok) {
      fill(
        queryResult,
        el(
          'div',
          { class: 'result bad' },
          data.code
            ? `${data.code}: ${data.message}${data.error?.hint ? `\n${data.error.hint}` : ''}`
            : errorText(data.error),
        ),
      );
      return;
    }
    fill(
      queryResult,
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
          {
            label: 'From',
            value: (r) => (r.from ?? []).map((a) => a.address ?? a.name).join(', '),
          },
          { label: 'Subject', value: (r) => r.subject },
          { label: 'Date', value: (r) => r.date },
        ],
        data.sample,
      ),
    );
  }

  async function preview() {
    fill(queryResult, el('p', { class: 'muted' }, 'Reading the first page ...'));
    const { data } = await api('/api/connections/preview', {
      method: 'POST',
      body: { config: values(), profile: profile ?? undefined, query: query.value },
    });
    if (!data.ok) {
      fill(queryResult, el('div', { class: 'result bad' }, errorText(data.error)));
      return;
    }
    fill(
      queryResult,
      el(
        'p',
        { id: 'preview-count' },
        `${data.rows.length} rows on the first page${data.done ? '' : ' (more follow)'}`,
      ),
      table(
        [
          { label: 'Folder', value: (r) => r.folder },
          { label: 'UID', value: (r) => r.uid },
          {
            label: 'From',
            value: (r) => (r.from ?? []).map((a) => a.address ?? a.name).join(', '),
          },
          { label: 'Subject', value: (r) => r.subject },
          { label: 'Date', value: (r) => r.date },
          { label: 'Size', value: (r) => r.size },
        ],
        data.rows,
      ),
    );
  }

  async function load(selected) {
    const { data } = await api(`/api/connections/${encodeURIComponent(selected)}`);
    profile = selected;
    stored = data.storedSecrets;
    name.value = selected;
    for (const field of fields) {
      const input = inputs.get(field.name);
      const value = data.config[field.name];
      if (field.type === 'boolean') input.checked = value ?? field.default ?? false;
      else if (field.secret) input.value = '';
      else
        input.value =
          value === undefined
            ? field.type === 'enum'
              ? (field.default ?? '')
              : ''
            : Array.isArray(value)
              ? value.join(', ')
              : String(value);
    }
    changed();
    listProfiles();
  }

  async function listProfiles() {
    const { data } = await api('/api/connections');
    fill(
      saved,
      ...data.map((p) =>
        el(
          'li',
          { class: p.name === profile ? 'selected' : '', onclick: () => load(p.name) },
          p.name,
        ),
      ),
      data.length ? null : el('li', { class: 'muted' }, 'none yet'),
    );
  }

  async function save() {
    const target = name.value.trim();
    const { data, status: code } = await api(`/api/connections/${encodeURIComponent(target)}`, {
      method: 'PUT',
      body: { config: values() },
    });
    if (code !== 200) {
      show(result, false, errorText(data.error));
      return;
    }
    for (const field of fields) if (field.secret) inputs.get(field.name).value = '';
    profile = target;
    stored = data.storedSecrets;
    show(result, true, `Saved as ${target}.`);
    refresh();
    listProfiles();
  }

  main.append(
    el(
      'div',
      { class: 'columns' },
      el(
        'section',
        {},
        el('h2', {}, 'Saved'),
        saved,
        el(
          'button',
          {
            class: 'secondary',
            onclick: () => {
              location.hash = '#connections';
              location.reload();
            },
          },
          'New',
        ),
      ),
      el(
        'div',
        {},
        el(
          'section',
          {},
          el('h2', {}, 'Connection'),
          form,
          status,
          el(
            'div',
            {},
            el('button', { id: 'test-connection', onclick: testConnection }, 'Test Connection'),
            name,
            el('button', { id: 'save', class: 'secondary', onclick: save }, 'Save'),
          ),
          result,
        ),
        el(
          'section',
          {},
          el('h2', {}, 'Query'),
          el(
            'div',
            { class: 'field' },
            el('label', { for: 'query' }, 'IMAP SEARCH'),
            query,
            el(
              'div',
              { class: 'help' },
              'As RFC 3501 writes it, with FOLDER, LIMIT and ISO dates: UNSEEN SINCE 2024-01-01',
            ),
          ),
          el('button', { id: 'test-query', onclick: testQuery }, 'Test Query'),
          el('button', { id: 'preview', class: 'secondary', onclick: preview }, 'Preview'),
          queryResult,
        ),
      ),
    ),
  );
  refresh();
  await listProfiles();
}
