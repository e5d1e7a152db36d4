/**
 * ENVELOPE (RFC 3501 section 7.4.2) -> imapflow's envelope object, field for field what
 * imapflow's parseEnvelope gives (test/unit/envelope.test.ts holds the two equal on hostile
 * and generated input), at a fraction of its cost: imapflow runs libmime's five regular
 * expressions over every name and subject, 45 us a message on envelope rows. Here a value goes
 * through libmime only when it could change there (decode-words.ts).
 */
import type { MessageAddressObject, MessageEnvelopeObject } from 'imapflow';
import type { Node } from './fetch-tokens.js';
import { decodeWords } from './decode-words.js';

type Field = string | false | undefined;

/** A token's text as imapflow reads it: false for NIL, undefined for a list. */
function textOf(node: Node | undefined): Field {
  if (!node) return false;
  if (Array.isArray(node)) return undefined;
  return typeof node.value === 'string' ? node.value : node.value.toString();
}

/** imapflow's decodeText: encoded words, then the quotes some servers leave around a name. */
function decodeName(value: Field): string {
  const text = decodeWords(value);
  return text.length > 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

/** Whether a node is a list with something in it (imapflow's test for an address list). */
function nonEmptyList(node: Node | undefined): node is Node[] {
  return Array.isArray(node) && node.length > 0;
}

/** A token with a non-empty value (imapflow's `entry[i] && entry[i].value`). */
function hasValue(node: Node | undefined): boolean {
  return !!node && !Array.isArray(node) && !!node.value;
}

/**
 * One address list. A NIL host marks RFC 5322 group syntax: the group's name comes as a name
 * with no address, the end-of-group marker (no name, no address) is dropped, as imapflow does.
 */
function addressesOf(list: Node[]): MessageAddressObject[] {
  const addresses: MessageAddressObject[] = [];
  for (const node of list) {
    if (!node) continue;
    // imapflow indexes whatever the element is: a token that is not a list reads as empty.
    const parts = node as unknown as (Node | undefined)[];
    const name = decodeName(textOf(parts[0]));
    const mailbox = textOf(parts[2]) || '';
    const host = textOf(parts[3]) || '';
    const address = host
      ? { name, address: `${mailbox}@${host}` }
      : { name: name || (mailbox && decodeName(mailbox)), address: '' };
    if (address.name || address.address) addresses.push(address);
  }
  return addresses;
}

const LISTS = ['from', 'sender', 'replyTo', 'to', 'cc', 'bcc'] as const;

/** The envelope of one FETCH response, as imapflow's parseEnvelope would give it. */
export function decodeEnvelope(entry: Node[]): MessageEnvelopeObject {
  const envelope: Record<string, unknown> = {};
  if (hasValue(entry[0])) {
    const text = textOf(entry[0]) as string;
    const date = new Date(text);
    envelope.date = Number.isNaN(date.getTime()) ? text : date;
  }
  if (hasValue(entry[1])) envelope.subject = decodeWords(textOf(entry[1]));
  LISTS.forEach((field, i) => {
    const list = entry[i + 2];
    if (nonEmptyList(list)) envelope[field] = addressesOf(list);
  });
  if (hasValue(entry[8])) envelope.inReplyTo = (textOf(entry[8]) as string).trim();
  if (hasValue(entry[9])) envelope.messageId = (textOf(entry[9]) as string).trim();
  return envelope as MessageEnvelopeObject;
}
