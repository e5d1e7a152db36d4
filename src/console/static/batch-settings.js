// A batch's settings on its page: the New batch form's fields (batch-form.js) filled from its
// profile, and its name. Saved only while it does not run; a new name opens it under that name.
import { api, el, errorText } from './api.js';
import { fillSettings, settingsFields } from './batch-form.js';
import { field } from './form-fields.js';

export class BatchSettings {
  constructor(name, base, onSaved) {
    this.name = name;
    this.base = base;
    this.onSaved = onSaved;
    this.form = el('form', { id: 'batch-settings' });
    this.result = el('div', { id: 'batch-settings-result', role: 'status' });
    this.save = el('button', { type: 'submit', id: 'save-settings' }, 'Save settings');
    this.form.append(
      field('Name', el('input', { name: 'name', id: 'edit-name', value: name })),
      ...settingsFields(this.form, 'edit'),
      this.save,
    );
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.store();
    });
  }

  /** Filled from the first status only: later ones must not undo what the user is typing. */
  show(status) {
    this.save.disabled = status.running;
    if (this.filled) return;
    fillSettings(this.form, status.profile);
    this.filled = true;
  }

  async store() {
    const { data } = await api(`${this.base}/settings`, {
      method: 'PUT',
      form: new FormData(this.form),
    });
    this.result.className = `result ${data.ok ? 'ok' : 'bad'}`;
    this.result.textContent = data.ok
      ? 'Saved; run Preflight before Start.'
      : errorText(data.error);
    if (!data.ok) return;
    this.onSaved();
    if (data.name !== this.name) location.hash = `#batches/${encodeURIComponent(data.name)}`;
  }

  element() {
    return el('section', {}, el('h2', {}, 'Settings'), this.form, this.result);
  }
}
