/**
 * One `* n FETCH (...)` response as the message object imapflow's fetch() would give, with the
 * items it carried. UIDs and sizes are checked numbers; BODYSTRUCTURE and ENVELOPE go through
 * decoders held equal to imapflow's, so both FETCH paths yield the same rows.
 */
import type { FetchedMessage } from '../fetched-message.js';
import { fetchProtocolError, buf, str, strings, type Node } from './fetch-tokens.js';
import { decodeEnvelope } from './envelope.js';
import { decodeBodystructure } from './bodystructure.js';
import { structureProblem } from './mime-shape.js';

/** A fetched message, with the full source when BODY[] was asked for. */
export type BulkMessage = FetchedMessage;

/** One `* n FETCH (...)` response: its sequence number, the items it carried, and the message. */
export interface FetchResponse {
  seq: number;
  /** The message fields present (uid, flags, source, ...), named as on BulkMessage. */
  items: Set<string>;
  message: BulkMessage;
  /** The response broke the grammar: only its UID and `message.problem` are known. */
  damaged?: boolean;
}

// nz-number (RFC 3501 section 9): what UID and a sequence number must be.
export const NZ_NUMBER = /^[1-9]\d{0,9}$/;
const NUMBER = /^\d{1,20}$/;

export function numberOf(node: Node | undefined, what: string, pattern: RegExp): number {
  const text = str(node);
  const value = text !== undefined && pattern.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value > 0xffffffff)
    throw fetchProtocolError(`${what} ${JSON.stringify(text ?? null)} is not a number`);
  return value;
}

function dateOf(node: Node | undefined): Date | string {
  const text = str(node) ?? '';
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date;
}

// BODY[1.2] or BINARY[1.2]: a MIME part by its section number; BODY[1.2.MIME] its header.
const BODY_PART = /^(?:BODY|BINARY)\[(\d+(?:\.\d+)*(?:\.MIME)?)\]$/;

// Item name -> [message field, decoder]; one table instead of a branch per item.
const ITEMS: Record<string, [string, (value: Node | undefined) => unknown]> = {
  UID: ['uid', (value) => numberOf(value, 'UID', NZ_NUMBER)],
  FLAGS: ['flags', (value) => new Set(strings(value))],
  'RFC822.SIZE': ['size', (value) => numberOf(value, 'RFC822.SIZE', NUMBER)],
  INTERNALDATE: ['internalDate', dateOf],
  ENVELOPE: ['envelope', (value) => (Array.isArray(value) ? decodeEnvelope(value) : undefined)],
  'X-GM-LABELS': ['labels', (value) => new Set(strings(value))],
  'X-GM-THRID': ['threadId', str],
  'BODY[]': ['source', buf],
  'BINARY[]': ['source', buf],
};

/**
 * BODYSTRUCTURE through its decoder, unless it is beyond MESSAGE_LIMITS: then the
 * message carries the problem instead (the item counts as answered; the message fails alone).
 */
function takeStructure(
  message: Record<string, unknown>,
  items: Set<string>,
  value: Node | undefined,
): void {
  if (!Array.isArray(value)) return;
  const problem = structureProblem(value);
  if (problem) message.problem = problem;
  else message.bodyStructure = decodeBodystructure(value);
  items.add('bodyStructure');
}

/** What an item name says to do with its value. */
type ItemKind =
  | { part: string }
  | { structure: true }
  | { field: string; decode: (value: Node | undefined) => unknown }
  | undefined;

// Item names repeat in every response of a FETCH: each is read once, not once per message
// (the upper-casing and two regular expressions were 60 ms of a 10,000-message envelope read).
// Bounded, as partial fetches (BODY[]<0>) and part numbers can make many names.
const KINDS = new Map<string, ItemKind>();
const KINDS_LIMIT = 512;

function kindOf(name: string): ItemKind {
  if (KINDS.has(name)) return KINDS.get(name);
  const key = name.toUpperCase().replace(/<\d+(\.\d+)?>$/, '');
  const section = BODY_PART.exec(key)?.[1];
  const spec =
    ITEMS[key] ?? (key.startsWith('BODY[HEADER') ? (['headers', buf] as const) : undefined);
  const kind: ItemKind =
    section !== undefined
      ? { part: section }
      : key === 'BODYSTRUCTURE'
        ? { structure: true }
        : spec && { field: spec[0], decode: spec[1] };
  if (KINDS.size >= KINDS_LIMIT) KINDS.clear();
  KINDS.set(name, kind);
  return kind;
}

/**
 * The attribute pairs of one FETCH response -> imapflow's message shape (the fields rows use),
 * and which fields were present. An item whose value is NIL or of the wrong shape is absent.
 * @throws PROTOCOL_ERROR for an odd number of tokens or a UID or size that is not a number.
 */
export function toMessage(pairs: Node[]): { message: BulkMessage; items: Set<string> } {
  if (pairs.length % 2 !== 0) throw fetchProtocolError('an item without a value');
  const message: Record<string, unknown> = {};
  const items = new Set<string>();
  for (let i = 0; i < pairs.length; i += 2) {
    const kind = kindOf(str(pairs[i]) ?? '');
    if (!kind) continue;
    if ('part' in kind) {
      // One MIME part (BODY[1.2]): parts of one message collect in one map, as imapflow's.
      const value = buf(pairs[i + 1]);
      if (value === undefined) continue;
      const parts = (message.bodyParts as Map<string, Buffer> | undefined) ?? new Map();
      parts.set(kind.part, value);
      message.bodyParts = parts;
      items.add('bodyParts');
      continue;
    }
    if ('structure' in kind) {
      takeStructure(message, items, pairs[i + 1]);
      continue;
    }
    const value = kind.decode(pairs[i + 1]);
    if (value === undefined) continue;
    message[kind.field] = value;
    items.add(kind.field);
  }
  return { message: message as unknown as BulkMessage, items };
}
