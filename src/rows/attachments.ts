import type { MessageStructureObject } from 'imapflow';
import type { Attachment } from './row.js';

/** A part's file name: the disposition's filename, else the type's name parameter. */
export function filenameOf(node: MessageStructureObject): string | null {
  return node.dispositionParameters?.filename ?? node.parameters?.name ?? null;
}

// type/subtype (RFC 2045 5.1 tokens); anything else is invalid.
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

/**
 * A part's media type, lower case; an invalid one ("text", "/", a missing subtype, which a
 * server's BODYSTRUCTURE passes on as "text/") is text/plain, as RFC 2045 5.2 says.
 */
export function mediaTypeOf(node: MessageStructureObject): string {
  const type = (node.type ?? '').toLowerCase();
  return MEDIA_TYPE.test(type) ? type : 'text/plain';
}

/** Whether a part is an attachment: never a text part, nor anything inside it. */
export function isAttachment(node: MessageStructureObject): boolean {
  const type = mediaTypeOf(node);
  if (type === 'message/rfc822') return true;
  if (node.childNodes?.length) return false;
  if (node.disposition?.toLowerCase() === 'attachment') return true;
  if (filenameOf(node) !== null) return true;
  return !type.startsWith('text/') && !type.startsWith('multipart/');
}

/** The attachment parts of a message, in MIME tree order (nothing inside an attachment). */
export function attachmentNodes(
  root: MessageStructureObject | undefined,
): MessageStructureObject[] {
  const found: MessageStructureObject[] = [];
  const walk = (node: MessageStructureObject): void => {
    if (isAttachment(node)) found.push(node);
    else for (const child of node.childNodes ?? []) walk(child);
  };
  if (root) walk(root);
  return found;
}

/** Attachment metadata from BODYSTRUCTURE, in MIME tree order, without downloading a byte. */
export function attachmentsFromStructure(root: MessageStructureObject | undefined): Attachment[] {
  return attachmentNodes(root).map((node) => ({
    part: node.part ?? '1',
    filename: filenameOf(node),
    contentType: mediaTypeOf(node),
    disposition: node.disposition?.toLowerCase() ?? null,
    contentId: node.id ?? null,
    encodedSize: typeof node.size === 'number' ? node.size : null,
    size: null,
    sha256: null,
  }));
}
