/**
 * Which MIME parts are a message's text and html, from the server's BODYSTRUCTURE alone
 * (issue 13): the parts a `text` row downloads, by section number, so text, html and the
 * attachment list come from one tree and cannot disagree.
 *
 * The rules, as mail clients show a message:
 * - a part that is an attachment (attachments.ts: message/rfc822, disposition attachment, a file
 *   name, or a leaf that is not text) is never text, and nothing inside it is;
 * - multipart/alternative: the last alternative that has a text/plain part gives the text, the
 *   last that has a text/html part gives the html (RFC 2046 5.1.4: the last is the best);
 * - any other multipart (mixed, related, signed, digest, ...): every inline text/plain and
 *   text/html part in order, joined with a line break;
 * - a leaf text/* that is neither plain nor html (text/calendar, text/enriched) is neither.
 */
import type { MessageStructureObject } from 'imapflow';
import { isAttachment, mediaTypeOf } from './attachments.js';

/** One part to download and how to decode it. */
export interface TextPart {
  section: string;
  /** Content-Transfer-Encoding, lower case (7bit when the server gives none). */
  encoding: string;
  charset: string | null;
  /** RFC 3676 format=flowed, and whether its trailing spaces are deleted when joining. */
  flowed: boolean;
  delSp: boolean;
  /** Encoded size from BODYSTRUCTURE (0 when the server gives none): what fetching it costs. */
  size: number;
}

export interface TextParts {
  text: TextPart[];
  html: TextPart[];
}

const sectionOf = (node: MessageStructureObject): string => node.part ?? '1';

function toPart(node: MessageStructureObject): TextPart {
  const parameters = node.parameters ?? {};
  return {
    section: sectionOf(node),
    encoding: (node.encoding ?? '7bit').toLowerCase(),
    charset: parameters.charset ?? null,
    flowed: parameters.format?.toLowerCase() === 'flowed',
    delSp: parameters.delsp?.toLowerCase() === 'yes',
    size: typeof node.size === 'number' ? node.size : 0,
  };
}

function collect(node: MessageStructureObject, found: TextParts): void {
  if (isAttachment(node)) return;
  const type = mediaTypeOf(node);
  const children = node.childNodes ?? [];
  if (type === 'multipart/alternative') {
    const options = children.map((child) => {
      const inner: TextParts = { text: [], html: [] };
      collect(child, inner);
      return inner;
    });
    found.text.push(...(options.findLast((option) => option.text.length > 0)?.text ?? []));
    found.html.push(...(options.findLast((option) => option.html.length > 0)?.html ?? []));
    return;
  }
  if (type.startsWith('multipart/')) {
    for (const child of children) collect(child, found);
    return;
  }
  if (type === 'text/plain') found.text.push(toPart(node));
  else if (type === 'text/html') found.html.push(toPart(node));
}

/** The text and html parts of a message; both empty when the structure has none. */
export function textParts(structure: MessageStructureObject | undefined): TextParts {
  const found: TextParts = { text: [], html: [] };
  if (structure) collect(structure, found);
  return found;
}
