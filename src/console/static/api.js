// The console's requests. The access token lives in this tab's session storage, taken from
// the start link's ?token= (then removed from the address bar), and goes as a Bearer header:
// never in a cookie, which every other service on 127.0.0.1 would receive. Every
// state-changing request also carries the page's CSRF token.
const TOKEN_KEY = 'imap-connector-token';
let csrfToken = '';

function takeTokenFromLink() {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  url.searchParams.delete('token');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
}
takeTokenFromLink();

function authorization() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export async function startSession() {
  const response = await fetch('/api/session', { headers: authorization() });
  if (response.status === 401)
    throw new Error(
      'Open the link the console printed when it started (it holds the access token).',
    );
  const session = await response.json();
  csrfToken = session.csrfToken;
  return session;
}

/** A link the browser can fetch by itself (a download, a frame) for a minute. */
export async function signedUrl(path) {
  const { data } = await api('/api/links', { method: 'POST', body: { path } });
  return data.url;
}

/** A download by a signed link: the browser saves it, the token stays in this tab. */
export async function download(path) {
  const link = el('a', { href: await signedUrl(path), download: '' });
  document.body.append(link);
  link.click();
  link.remove();
}

/** A link that downloads an API path by a signed link when clicked (or opened by keyboard). */
export function downloadLink(path, text, attributes = {}) {
  return el(
    'a',
    {
      ...attributes,
      href: '#',
      onclick: (event) => {
        event.preventDefault();
        download(path);
      },
    },
    text,
  );
}

/**
 * Server-sent events over fetch (EventSource cannot send the header): each `event: status`
 * goes to onStatus; after a drop it reconnects with Last-Event-ID until closed.
 */
export function streamEvents(path, onStatus) {
  const controller = new AbortController();
  let lastId = '';
  const once = async () => {
    const headers = { ...authorization(), Accept: 'text/event-stream' };
    if (lastId) headers['Last-Event-ID'] = lastId;
    const response = await fetch(path, { headers, signal: controller.signal });
    if (!response.ok || !response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name) =>
          block
            .split('\n')
            .filter((line) => line.startsWith(`${name}:`))
            .map((line) => line.slice(name.length + 1).replace(/^ /, ''))
            .join('\n');
        if (field('id')) lastId = field('id');
        if (field('event') === 'status') onStatus(JSON.parse(field('data')));
      }
    }
  };
  (async () => {
    while (!controller.signal.aborted) {
      await once().catch(() => undefined);
      if (!controller.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  })();
  return { close: () => controller.abort() };
}

export async function api(path, { method = 'GET', body, form } = {}) {
  const headers = authorization();
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
