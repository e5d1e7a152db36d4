// One archived message, shown safely: its text, its HTML sanitized in a sandboxed frame that
// loads nothing remote, its attachments, and the .eml download.
import { api, bytes, download, el, errorText, fill, signedUrl } from './api.js';

function attachmentsOf(view) {
  if (!view.attachments.length) return null;
  const names = view.attachments.map((a) => `${a.filename ?? '(unnamed)'} (${bytes(a.size)})`);
  return el('p', {}, `Attachments: ${names.join(', ')}`);
}

function htmlFrame(view, url) {
  if (!view.hasHtml) return null;
  const frame = el('iframe', {
    class: 'message-html',
    id: 'message-html',
    sandbox: '',
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
    el(
      'p',
      {},
      el(
        'a',
        {
          href: '#',
          id: 'download-eml',
          onclick: (event) => {
            event.preventDefault();
            download(`${url}/eml`);
          },
        },
        'Download .eml',
      ),
    ),
    attachmentsOf(view),
    htmlFrame(view, url),
    el('pre', { class: 'result', id: 'message-text' }, view.text),
  );
}
