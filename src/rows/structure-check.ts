/**
 * Whether the server's BODYSTRUCTURE saw the message as its Content-Type header says (issue 24,
 * item 12). Servers parse a header like `multipart/mixed;; boundary="d"`, an RFC 2231
 * `boundary*=` or a `multipart` without subtype as one part, and a row made from that one part
 * would show the MIME boundaries as text or lose the body. When the header names a multipart
 * with a boundary and the structure has no children, the row is made from the whole source.
 */
import type { MessageStructureObject } from 'imapflow';

/** The header's media type (lower case) and whether it carries a boundary, however written. */
export function contentTypeOf(value: string): { type: string; boundary: boolean } {
  const [first = '', ...rest] = value.split(';');
  const type = first.trim().toLowerCase();
  // boundary=, boundary*=charset''value and the continued boundary*0= (RFC 2231 sections 3, 4).
  const boundary = rest.some((parameter) => /^\s*boundary(\*0?\*?)?\s*=/i.test(parameter));
  return { type, boundary };
}

/**
 * True when the Content-Type header names a multipart the BODYSTRUCTURE did not find: no
 * children, or (Dovecot) children made up with no boundary among the structure's parameters.
 */
export function structureMissesMultipart(
  structure: MessageStructureObject | undefined,
  contentType: string | undefined,
): boolean {
  if (!structure || contentType === undefined) return false;
  const { type, boundary } = contentTypeOf(contentType);
  const multipart = type === 'multipart' || type.startsWith('multipart/');
  if (!multipart || !boundary) return false;
  if (!structure.childNodes || structure.childNodes.length === 0) return true;
  const parameters = structure.parameters;
  if (parameters !== undefined && !Object.keys(parameters).includes('boundary')) return true;
  // Dovecot, finding no boundary, makes up one empty part (and sends NIL parameters).
  return emptyLeaves(structure);
}

function emptyLeaves(node: MessageStructureObject): boolean {
  const children = node.childNodes ?? [];
  if (children.length === 0) return node.size === 0;
  return children.every(emptyLeaves);
}
