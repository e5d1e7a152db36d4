// The saved connections: a list to pick one from (by mouse or keyboard), and saving the form
// under a name. Their secrets are write-only: the server says which are stored, never what.
import { api, el, fill } from './api.js';

export function savedConnections(onPick) {
  const list = el('ul', { class: 'list', id: 'profiles' });
  let selected = null;
  async function refresh() {
    const { data } = await api('/api/connections');
    const names = Array.isArray(data) ? data.map((p) => p.name) : [];
    fill(
      list,
      ...names.map((name) =>
        el(
          'li',
          {},
          el(
            'button',
            {
              type: 'button',
              class: `link${name === selected ? ' selected' : ''}`,
              'aria-current': name === selected ? 'true' : undefined,
              onclick: () => onPick(name),
            },
            name,
          ),
        ),
      ),
      names.length ? null : el('li', { class: 'muted' }, 'none yet'),
    );
  }
  return {
    list,
    refresh,
    select(name) {
      selected = name;
      return refresh();
    },
  };
}

/** A saved connection's settings and which of its secrets are stored. */
export async function loadConnection(name) {
  const { data } = await api(`/api/connections/${encodeURIComponent(name)}`);
  return data;
}

/** Saves the form under `name`; the answer, or the failure in the one shape. */
export async function saveConnection(name, config) {
  const { data, status } = await api(`/api/connections/${encodeURIComponent(name)}`, {
    method: 'PUT',
    body: { config },
  });
  return status === 200 ? data : { ok: false, error: data.error };
}
