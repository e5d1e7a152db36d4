/**
 * An archived message for the browser: its headers from the row, the text part, and the HTML
 * part sanitized (no script, no event handler, no remote image or frame: only data: and cid:
 * sources), which the page shows in a sandboxed frame whose own CSP blocks anything remote.
 */
import { simpleParser } from 'mailparser';
import sanitizeHtml from 'sanitize-html';

export interface MessageView {
  subject: string | null;
  from: string;
  to: string;
  cc: string;
  date: string | null;
  text: string;
  hasHtml: boolean;
  attachments: { filename: string | null; contentType: string; size: number }[];
}

// CSS that fetches something (url(), @import) or runs something (old IE's expression()): the
// frame's CSP blocks it too, but a sanitized message should not even ask (issue 28).
const ACTIVE_CSS = /url\s*\([^)]*\)?|@import[^;]*;?|expression\s*\([^)]*\)?/gi;

const ALLOWED: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'span', 'font', 'center', 'style'],
  allowedAttributes: {
    '*': ['style', 'align', 'valign', 'width', 'height', 'bgcolor', 'color', 'class', 'dir'],
    a: ['href', 'name', 'title'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    font: ['face', 'size', 'color'],
    td: ['colspan', 'rowspan'],
    th: ['colspan', 'rowspan'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  // An image may show only what the message carries: no tracking pixel is fetched.
  allowedSchemesByTag: { img: ['data', 'cid'] },
  // //tracker.example/pixel.png is a remote fetch like any other.
  allowProtocolRelative: false,
  allowVulnerableTags: true,
  transformTags: {
    '*': (tagName, attribs) => ({
      tagName,
      attribs: attribs.style
        ? { ...attribs, style: attribs.style.replace(ACTIVE_CSS, '') }
        : attribs,
    }),
  },
};

export function sanitizedHtml(html: string): string {
  // A <style> element's text passes sanitize-html as it is: its active CSS goes here.
  return sanitizeHtml(html, ALLOWED).replace(
    /(<style[^>]*>)([\s\S]*?)(<\/style>)/gi,
    (_all, open: string, css: string, close: string) => open + css.replace(ACTIVE_CSS, '') + close,
  );
}

function addressText(value: unknown): string {
  if (!value) return '';
  const list = Array.isArray(value) ? value : [value];
  return list.map((entry) => (entry as { text?: string }).text ?? '').join(', ');
}

export async function viewOf(raw: Buffer): Promise<{ view: MessageView; html: string | null }> {
  const parsed = await simpleParser(raw, { skipImageLinks: true });
  const html = typeof parsed.html === 'string' ? parsed.html : null;
  return {
    view: {
      subject: parsed.subject ?? null,
      from: addressText(parsed.from),
      to: addressText(parsed.to),
      cc: addressText(parsed.cc),
      date: parsed.date ? parsed.date.toISOString() : null,
      text: parsed.text ?? '',
      hasHtml: html !== null,
      attachments: parsed.attachments.map((a) => ({
        filename: a.filename ?? null,
        contentType: a.contentType,
        size: a.size,
      })),
    },
    html: html === null ? null : sanitizedHtml(html),
  };
}
