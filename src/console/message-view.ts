/**
 * An archived message for the browser: its headers from the row, the text part, and the HTML
 * part sanitized (no script, no event handler, no remote image or frame: only data: and cid:
 * sources), which the page shows in a sandboxed frame whose own CSP blocks anything remote.
 */
import { createHash } from 'node:crypto';
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
  /** Each attachment (also inline parts) in order: its index is its download's. */
  attachments: {
    index: number;
    filename: string | null;
    contentType: string;
    size: number;
    sha256: string;
    /** Shown inside the HTML (a cid: image), not only listed. */
    inline: boolean;
  }[];
}

// CSS that fetches something (url(), @import) or runs something (old IE's expression()): the
// frame's CSP blocks it too, but a sanitized message should not even ask (issue 28).
const ACTIVE_CSS = /url\s*\([^)]*\)?|@import[^;]*;?|expression\s*\([^)]*\)?/gi;

const ALLOWED: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'span', 'font', 'center', 'style'],
  allowedAttributes: {
    '*': ['style', 'align', 'valign', 'width', 'height', 'bgcolor', 'color', 'class', 'dir'],
    a: ['href', 'name', 'title', 'target', 'rel'],
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
    // A link opens in a new tab that cannot reach back to the console (no opener, no referrer).
    a: (tagName, attribs) => ({
      tagName,
      attribs: {
        ...attribs,
        ...(attribs.style ? { style: attribs.style.replace(ACTIVE_CSS, '') } : {}),
        target: '_blank',
        rel: 'noopener noreferrer',
      },
    }),
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

/** The parsed message: its cid: images become data: URLs (the frame loads nothing remote). */
function parse(raw: Buffer) {
  return simpleParser(raw, { skipImageLinks: false });
}

/** One attachment's bytes, name and type, by its index in the view; undefined if none. */
export async function attachmentOf(
  raw: Buffer,
  index: number,
): Promise<{ content: Buffer; filename: string | null; contentType: string } | undefined> {
  const found = (await parse(raw)).attachments[index];
  return found
    ? { content: found.content, filename: found.filename ?? null, contentType: found.contentType }
    : undefined;
}

export async function viewOf(raw: Buffer): Promise<{ view: MessageView; html: string | null }> {
  const parsed = await parse(raw);
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
      attachments: parsed.attachments.map((a, index) => ({
        index,
        filename: a.filename ?? null,
        contentType: a.contentType,
        size: a.size,
        sha256: createHash('sha256').update(a.content).digest('hex'),
        inline: a.related === true || a.contentDisposition === 'inline',
      })),
    },
    html: html === null ? null : sanitizedHtml(html),
  };
}
