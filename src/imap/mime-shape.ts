/**
 * The size of a BODYSTRUCTURE (RFC 3501 section 7.4.2) before anything recursive reads it:
 * its MIME depth and part count, walked without recursion. imapflow's decoder and the row code
 * recurse, so a tree beyond MESSAGE_LIMITS is refused here, as a problem of that message.
 */
import { MESSAGE_LIMITS, type MessageProblem } from '../message-limits.js';
import { str, type Node } from './fetch-tokens.js';

/** Where a message/rfc822 part keeps its own body (type, subtype, params, id, desc, enc, size, envelope, body). */
const ENCAPSULATED_BODY = 8;

function isEncapsulated(node: Node[]): boolean {
  const type = str(node[0])?.toUpperCase();
  const subtype = str(node[1])?.toUpperCase();
  return type === 'MESSAGE' && (subtype === 'RFC822' || subtype === 'GLOBAL');
}

/** The problem with a BODYSTRUCTURE beyond the limits, or undefined when it is within them. */
export function structureProblem(
  root: Node[],
  limits: { mimeDepth: number; mimeParts: number } = MESSAGE_LIMITS,
): MessageProblem | undefined {
  const stack: { node: Node[]; depth: number }[] = [{ node: root, depth: 1 }];
  let parts = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > limits.mimeDepth)
      return unparsable(`its MIME parts are nested deeper than ${limits.mimeDepth} levels`);
    if (++parts > limits.mimeParts)
      return unparsable(`it has more than ${limits.mimeParts} MIME parts`);
    if (Array.isArray(node[0])) {
      // A multipart: its children come first, then its subtype.
      for (const child of node) {
        if (!Array.isArray(child)) break;
        stack.push({ node: child, depth: depth + 1 });
      }
    } else if (isEncapsulated(node) && Array.isArray(node[ENCAPSULATED_BODY])) {
      stack.push({ node: node[ENCAPSULATED_BODY], depth: depth + 1 });
    }
  }
  return undefined;
}

function unparsable(why: string): MessageProblem {
  return {
    code: 'MESSAGE_UNPARSABLE',
    message: `The message's structure is beyond what the connector reads: ${why}. Its row has the envelope fields only.`,
  };
}
