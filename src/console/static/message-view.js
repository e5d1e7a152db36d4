// One archived message, shown safely: its text, its HTML sanitized in a sandboxed frame that
// loads nothing remote, its attachments, and the .eml download.
import { api, bytes, downloadLink, el, errorText, fill, signedUrl } from './api.js';

/** The attachments: name, type, size and SHA-256, each a download (by a signed link). */
function attachmentsOf(view, url) {
  if (!view.attachments.length) return null;
  return el(
    'ul',
    { id: 'attachments', 'aria-label': 'Attachments' },
    view.attachments.map((a) =>
      el(
        'li',
        {},
        downloadLink(`${url}/attachments/${a.index}`, a.filename ?? '(unnamed)'),
        ` ${a.contentType}, ${bytes(a.size)}${a.inline ? ', shown in the message' : ''}`,
        el('span', { class: 'muted sha256', title: 'SHA-256' }, ` SHA-256 ${a.sha256}`),
      ),
    ),
  );
}

function htmlFrame(view, url) {
  if (!view.hasHtml) return null;
  const frame = el('iframe', {
    class: 'message-html',
    id: 'message-html',
    // No script, ever; a link may open a new tab (without an opener: rel="noopener").
    sandbox: 'allow-popups allow-popups-to-escape-sandbox',
    referrerpolicy: 'no-referrer',
    title: 'The message as HTML, remote content blocked',
  });
  // The frame loads by itself, without the page's header: a signed link.
  signedUrl(`${url}/html`).then((src) => (frame.src = src));
  return frame;
}

export async function showMessage(box, base, id) {
  const url = `${base}/messages/${id}`;
  const { status, data: view } = await api(url);
  box.hidden = false;
  if (status !== 200) return fill(box, el('div', { class: 'result bad' }, errorText(view.error)));
  fill(
    box,
    el('h2', { id: 'message-subject' }, view.subject ?? '(no subject)'),
    el('p', {}, `From: ${view.from}`),
    el('p', {}, `To: ${view.to}${view.cc ? `  Cc: ${view.cc}` : ''}`),
    el(
      'p',
      { class: 'muted' },
      `${view.date ?? ''}  ${view.account} / ${view.folder} / UID ${view.uid}`,
    ),
    el('p', {}, downloadLink(`${url}/eml`, 'Download .eml', { id: 'download-eml' })),
    attachmentsOf(view, url),
    htmlFrame(view, url),
    el('pre', { class: 'result', id: 'message-text' }, view.text),
  );
  // Opened below a long list of results: bring it where the user looks, with the focus.
  const heading = box.querySelector('#message-subject');
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
  box.scrollIntoView({ block: 'start' });
}
