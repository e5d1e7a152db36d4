// The connection form drawn from connector.json alone: groups, labels, types, required,
// secrets, advanced settings folded, conditions (the one display rule), placeholders,
// defaults, help and allowed values. It reads and sets values and shows the server's verdict.
import { el } from './api.js';
import { isShown } from './display-rule.js';

// What the page decides itself: the roles follow from the use, the query has its own box.
const NOT_IN_FORM = ['isActive', 'isSource', 'isTarget', 'query'];

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
    const list = field.type === 'stringList';
    input = el('input', {
      id,
      type: field.secret ? 'password' : 'text',
      autocomplete: field.secret ? 'new-password' : 'off',
      placeholder: list
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

/** One input's value as the schema wants it; undefined when it is empty. */
function valueOf(field, input) {
  if (field.type === 'boolean') return input.checked;
  const text = input.value.trim();
  if (text === '') return undefined;
  if (field.type === 'integer' || field.type === 'number')
    return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  if (field.type === 'stringList')
    return text
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean);
  return field.type === 'text' ? input.value : text;
}

/** A group's fields, the advanced ones folded behind a link that a keyboard can use too. */
function groupOf(group, fields, rowOf) {
  const advanced = el('div', { class: 'hidden', 'data-advanced': group.id });
  const plain = el('div');
  for (const field of fields) (field.advanced ? advanced : plain).append(rowOf(field));
  const toggle = el('button', { type: 'button', class: 'toggle link' }, 'Show advanced settings');
  toggle.addEventListener('click', () => {
    advanced.classList.toggle('hidden');
    toggle.textContent = advanced.classList.contains('hidden')
      ? 'Show advanced settings'
      : 'Hide advanced settings';
  });
  return [el('h3', {}, group.label), plain, advanced.childElementCount ? toggle : null, advanced];
}

/** The form, its inputs and rows by field name, and the secrets the server holds. */
export class ConnectionForm {
  constructor(manifest, onChange) {
    this.fields = manifest.connectionFields.filter((f) => !NOT_IN_FORM.includes(f.name));
    this.onChange = onChange;
    this.inputs = new Map();
    this.rows = new Map();
    this.errors = new Map();
    this.stored = [];
    this.element = el('div', { id: 'connection-form' });
    for (const group of manifest.groups) {
      const inGroup = this.fields.filter((f) => f.group === group.id);
      if (inGroup.length > 0)
        this.element.append(...groupOf(group, inGroup, (f) => this.rowOf(f)).filter(Boolean));
    }
  }

  rowOf(field) {
    const input = inputOf(field, this.onChange);
    this.inputs.set(field.name, input);
    const error = el('div', { class: 'error', id: `error-${field.name}` });
    this.errors.set(field.name, error);
    const help = el('div', { class: 'help', id: `help-${field.name}` }, field.help);
    input.setAttribute('aria-describedby', `help-${field.name} error-${field.name}`);
    const label = el(
      'label',
      { for: input.id, class: field.required ? 'required' : '', title: field.help },
      field.label,
    );
    const row = el('div', { class: 'field', 'data-field': field.name }, label, input, help, error);
    this.rows.set(field.name, row);
    return row;
  }

  /** The config the form describes; hidden fields are neither required nor sent. */
  values() {
    const out = {};
    for (const field of this.fields) {
      const value = valueOf(field, this.inputs.get(field.name));
      if (value !== undefined) out[field.name] = value;
    }
    for (const field of this.fields) if (!isShown(field, out, this.fields)) delete out[field.name];
    return out;
  }

  /** Shows the fields the current choices call for and the placeholders that follow them. */
  refresh() {
    const raw = {};
    for (const field of this.fields) {
      const input = this.inputs.get(field.name);
      raw[field.name] = field.type === 'boolean' ? input.checked : input.value || undefined;
    }
    for (const field of this.fields) {
      this.rows.get(field.name).hidden = !isShown(field, raw, this.fields);
      this.placeholderOf(field, raw);
    }
  }

  placeholderOf(field, raw) {
    const input = this.inputs.get(field.name);
    if (field.placeholder) {
      const on = field.placeholder.field;
      const by = raw[on] ?? this.fields.find((f) => f.name === on)?.default;
      input.placeholder = field.placeholder.values[by] ?? '';
    }
    if (field.secret)
      input.placeholder = this.stored.includes(field.name) ? 'stored (leave empty to keep)' : '';
  }

  /** The server's problems with the settings, each under its field. */
  showIssues(issues) {
    for (const field of this.fields) {
      const issue = issues.find(
        (i) => i.field === `/${field.name}` || i.field.startsWith(`/${field.name}/`),
      );
      this.rows.get(field.name).classList.toggle('invalid', Boolean(issue));
      this.inputs.get(field.name).setAttribute('aria-invalid', issue ? 'true' : 'false');
      this.errors.get(field.name).textContent = issue ? issue.message : '';
    }
  }

  /** A saved connection's settings; its secrets stay on the server (`storedSecrets`). */
  load(config, storedSecrets) {
    this.stored = storedSecrets;
    for (const field of this.fields) {
      const input = this.inputs.get(field.name);
      const value = config[field.name];
      if (field.type === 'boolean') input.checked = value ?? field.default ?? false;
      else if (field.secret) input.value = '';
      else if (value === undefined)
        input.value = field.type === 'enum' ? (field.default ?? '') : '';
      else input.value = Array.isArray(value) ? value.join(', ') : String(value);
    }
  }

  /** After a save: the secrets are stored, the inputs emptied. */
  saved(storedSecrets) {
    this.stored = storedSecrets;
    for (const field of this.fields) if (field.secret) this.inputs.get(field.name).value = '';
  }
}
