// The console's requests: same origin, the access cookie goes along by itself; every
// state-changing request carries the page's CSRF token, which a page of another site cannot read.
let csrfToken = '';

export async function startSession() {
  const session = await (await fetch('/api/session')).json();
  csrfToken = session.csrfToken;
  return session;
}

export async function api(path, { method = 'GET', body, form } = {}) {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json() : await response.text();
  return { status: response.status, data };
}

/** An element with attributes and children; text is always set as text, never as HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'checked' || key === 'disabled' || key === 'value') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces a node's children, leaving out the null and false ones (replaceChildren prints "null"). */
export function fill(node, ...children) {
  node.replaceChildren(
    ...children.flat().filter((child) => child !== null && child !== undefined && child !== false),
  );
}

/** A connector error as a person reads it: code, message, hint. */
export function errorText(error) {
  if (!error) return 'Failed.';
  return `${error.code}: ${error.message}${error.hint ? `\n${error.hint}` : ''}`;
}

export function table(columns, rows, onClick) {
  return el(
    'table',
    {},
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        columns.map((c) => el('th', {}, c.label)),
      ),
    ),
    el(
      'tbody',
      {},
      rows.map((row) =>
        el(
          'tr',
          onClick
            ? {
                class: 'clickable',
                // A row that opens something is reached and opened by keyboard too.
                tabindex: '0',
                onclick: () => onClick(row),
                onkeydown: (event) => {
                  if (event.key !== 'Enter' && event.key !== ' ') return;
                  event.preventDefault();
                  onClick(row);
                },
              }
            : {},
          columns.map((c) => el('td', {}, c.value(row))),
        ),
      ),
    ),
  );
}

export function bytes(n) {
  if (!n) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
