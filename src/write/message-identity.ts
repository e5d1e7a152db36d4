import { createHash, type Hash } from 'node:crypto';
import type { DedupeMode } from '../config/validate-config.js';
import { makeError } from '../errors.js';

export type { DedupeMode };

/**
 * What identifies a message across servers. Servers rewrite header lines they own (Received,
 * X-*, Exchange's own), so neither key covers the whole header (PITFALLS 6).
 */
export interface MessageIdentity {
  /** The Message-ID as written, without surrounding space, or undefined when there is none. */
  messageId: string | undefined;
  /**
   * sha256 of Message-ID + Date + From + Subject: the same ID on two different messages
   * (wildduck#555) still gives two keys. Undefined without a Message-ID.
   */
  messageIdKey: string | undefined;
  /** sha256 of Date, From, To, Cc and Subject: cheap to get from a server (HEADER.FIELDS). */
  headerDigest: string;
  /**
   * sha256 of headerDigest and the normalised body: the key when Message-ID is missing or
   * unreliable. Undefined only where dedupe goes by the Message-ID key and the message has one
   * (identify's skipContentWithId): the body is not hashed for nothing.
   */
  contentHash?: string | undefined;
}

/** The header fields the keys read; a target index fetches only these. */
export const IDENTITY_HEADER_FIELDS = [
  'MESSAGE-ID',
  'DATE',
  'FROM',
  'TO',
  'CC',
  'SUBJECT',
] as const;

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const LF_LF = Buffer.from('\n\n');

/** Splits raw RFC 5322 source at the first empty line: [header, body]. */
export function splitMessage(raw: Buffer): { header: Buffer; body: Buffer } {
  const crlf = raw.indexOf(CRLF_CRLF);
  // Only an LF LF before the CRLF CRLF matters: not searching the whole body for one (a
  // quarter of a second per GB of mail).
  const lf = (crlf >= 0 ? raw.subarray(0, crlf) : raw).indexOf(LF_LF);
  if (crlf >= 0 && (lf < 0 || crlf < lf))
    return { header: raw.subarray(0, crlf + 2), body: raw.subarray(crlf + 4) };
  if (lf >= 0) return { header: raw.subarray(0, lf + 1), body: raw.subarray(lf + 2) };
  return { header: raw, body: Buffer.alloc(0) };
}

/** Header fields by lower-case name, unfolded, first occurrence wins (RFC 5322 section 2.2.3). */
export function parseHeaderFields(header: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  let name: string | undefined;
  let value = '';
  const flush = (): void => {
    if (name !== undefined && !fields.has(name)) fields.set(name, value);
  };
  // latin1 keeps every byte as one char, so 8-bit headers hash the same on every server.
  for (const line of header.toString('latin1').split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && name !== undefined) {
      value += ' ' + line.trim();
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) {
      name = undefined;
      continue;
    }
    name = line.slice(0, colon).trim().toLowerCase();
    value = line.slice(colon + 1).trim();
  }
  flush();
  return fields;
}

const normalise = (value: string | undefined): string => (value ?? '').replace(/\s+/g, ' ').trim();

function sha256(...parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/** The <id> part of a Message-ID field, or the whole trimmed value when it has no brackets. */
function messageIdOf(value: string | undefined): string | undefined {
  const text = normalise(value);
  if (text === '') return undefined;
  return /<[^>]*>/.exec(text)?.[0] ?? text;
}

const CRLF = Buffer.from('\r\n');
const LF = 0x0a;
const CR = 0x0d;
const TRAILING = new Set([0x0d, 0x0a, 0x20, 0x09]);

/**
 * Feeds the body to the hash with line endings as CRLF and without trailing blank lines (what
 * transports and servers change freely), without copying it: IMAP bodies are CRLF already, so
 * the usual case is one update.
 */
function updateWithNormalisedBody(hash: Hash, body: Buffer): void {
  let end = body.length;
  while (end > 0 && TRAILING.has(body[end - 1]!)) end--;
  let start = 0;
  for (let lf = body.indexOf(LF); lf !== -1 && lf < end; lf = body.indexOf(LF, lf + 1)) {
    if (lf > 0 && body[lf - 1] === CR) continue;
    hash.update(body.subarray(start, lf)).update(CRLF);
    start = lf + 1;
  }
  hash.update(body.subarray(start, end));
}

/** The body as updateWithNormalisedBody hashes it (for tests and tools). */
export function normaliseBody(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  const collector = {
    update(part: Buffer) {
      parts.push(Buffer.from(part));
      return collector;
    },
  };
  updateWithNormalisedBody(collector as unknown as Hash, body);
  return Buffer.concat(parts);
}

/** The header-only keys, from the fields of IDENTITY_HEADER_FIELDS. */
export function headerKeys(
  fields: Map<string, string>,
): Pick<MessageIdentity, 'messageId' | 'messageIdKey' | 'headerDigest'> {
  const messageId = messageIdOf(fields.get('message-id'));
  const date = normalise(fields.get('date'));
  const from = normalise(fields.get('from'));
  const subject = normalise(fields.get('subject'));
  return {
    messageId,
    messageIdKey:
      messageId === undefined ? undefined : sha256('mid', messageId, date, from, subject),
    headerDigest: sha256(
      'hdr',
      date,
      from,
      normalise(fields.get('to')),
      normalise(fields.get('cc')),
      subject,
    ),
  };
}

/** contentHash from a header digest and the body (as RFC 3501 BODY[TEXT] returns it). */
export function contentHashOf(headerDigest: string, body: Buffer): string {
  const hash = createHash('sha256').update('msg').update('\0').update(headerDigest).update('\0');
  updateWithNormalisedBody(hash, body);
  return hash.update('\0').digest('hex');
}

let bodiesHashed = 0;

/** How many bodies identify() hashed in this process (how a test tells the hash was skipped). */
export function bodiesHashedByIdentify(): number {
  return bodiesHashed;
}

/**
 * Every key of one message from its raw source. With `skipContentWithId`, a message with a
 * Message-ID key gets no content hash: dedupe by Message-ID never compares its content, and
 * hashing the body was a fifth of an import's main thread (docs/performance.md).
 */
export function identify(raw: Buffer, skipContentWithId = false): MessageIdentity {
  const { header, body } = splitMessage(raw);
  const keys = headerKeys(parseHeaderFields(header));
  if (skipContentWithId && keys.messageIdKey !== undefined) return keys;
  bodiesHashed++;
  return { ...keys, contentHash: contentHashOf(keys.headerDigest, body) };
}

/**
 * The identity of a message known by its first bytes only, for dedupe by Message-ID: the keys
 * identify(whole, true) gives, when the header ends within `head` (splitMessage finds the
 * same end in any prefix that holds one) and has a Message-ID. Else undefined: the message
 * must be read whole to be identified.
 */
export function identifyHead(head: Buffer): MessageIdentity | undefined {
  const { header } = splitMessage(head);
  if (header.length === head.length) return undefined;
  const keys = headerKeys(parseHeaderFields(header));
  return keys.messageIdKey === undefined ? undefined : keys;
}

/**
 * The content hash of an identity that must have one: every identity has it, except where
 * dedupe goes by the Message-ID key and the message has one (identify's skipContentWithId).
 * @throws INTERNAL when asked of such an identity: a caller mixed the two up.
 */
export function contentHashIn(identity: MessageIdentity): string {
  if (identity.contentHash === undefined)
    throw makeError(
      'INTERNAL',
      'A message identity made without its content hash was asked for it.',
    );
  return identity.contentHash;
}

/** Whether this message is recognised by its Message-ID key (mode message-id, and it has one) rather than by content. */
export function byMessageIdKey(
  identity: MessageIdentity,
  mode: DedupeMode,
): identity is MessageIdentity & { messageIdKey: string } {
  return mode === 'message-id' && identity.messageIdKey !== undefined;
}

/** The key a mode stores and looks up: the Message-ID key when there is one (mode message-id), else the content hash. */
export function dedupeKey(identity: MessageIdentity, mode: DedupeMode): string | undefined {
  if (mode === 'none') return undefined;
  return byMessageIdKey(identity, mode)
    ? `mid:${identity.messageIdKey}`
    : `hash:${contentHashIn(identity)}`;
}

/**
 * The dedupe keys of the messages one call or batch is about to store: a message given twice
 * is stored once, the second time it is a duplicate.
 */
export class BatchDedupe {
  private readonly queued = new Set<string>();

  constructor(private readonly mode: DedupeMode) {}

  /** True when the message is at the destination already or queued earlier; else queues it. */
  isDuplicate(identity: MessageIdentity, present: boolean): boolean {
    const key = dedupeKey(identity, this.mode);
    if (present || (key !== undefined && this.queued.has(key))) return true;
    if (key !== undefined) this.queued.add(key);
    return false;
  }
}
