// Small form parts the pages share: a labelled field and the security choice.
import { el } from './api.js';

let fieldCount = 0;

/** A label and its input (tied by id, so screen readers name the input), with help below. */
export function field(label, input, help) {
  if (!input.id) input.id = `form-field-${++fieldCount}`;
  return el(
    'div',
    { class: 'field' },
    el('label', { for: input.id }, label),
    input,
    help ? el('div', { class: 'help' }, help) : null,
  );
}

export function security(name, id) {
  return el(
    'select',
    { name, id },
    ['tls', 'starttls', 'none'].map((v) => el('option', { value: v }, v)),
  );
}
