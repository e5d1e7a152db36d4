/**
 * A streaming parser for bulk UID FETCH responses (RFC 3501 section 7.4.2), for the read path
 * only. It frames responses (lines and {n} literals), tokenizes them into the node shape
 * imapflow's parser produces, and turns each `* n FETCH (...)` into the message object
 * imapflow's fetch() would give, reusing imapflow's own ENVELOPE and BODYSTRUCTURE decoders
 * so both paths yield the same rows (test/integration/bulk-fetch.int.test.ts compares them).
 * imapflow compiles every response back to text for its log, which is about a quarter of its
 * CPU time on bulk FETCH (see docs/performance.md); this parser does not.
 */
import type { FetchMessageObject } from 'imapflow';
import { makeError } from '../errors.js';
import { parseBodystructure, parseEnvelope } from './imapflow-internals.js';

/** A token in imapflow's shape: NIL is null, a list is an array. */
export type Node = { type: 'ATOM' | 'STRING' | 'LITERAL'; value: string | Buffer } | null | Node[];

/** A fetched message, with the full source when BODY[] was asked for. */
export type BulkMessage = Pick<
  FetchMessageObject,
  | 'uid'
  | 'flags'
  | 'internalDate'
  | 'size'
  | 'envelope'
  | 'bodyStructure'
  | 'headers'
  | 'labels'
  | 'threadId'
> & { source?: Buffer };

export interface TaggedResult {
  status: string;
  text: string;
}

const CR = 13;
const LF = 10;
const SPACE = 32;
const QUOTE = 34;
const OPEN = 40;
const CLOSE = 41;
const BACKSLASH = 92;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
// A literal announcement ends the line: "{123}" (or "{123+}" from LITERAL+ aware servers).
const LITERAL_AT_END = /\{(\d+)\+?\}$/;
// Bounds for what one server may make the connector hold: a line without literals (a FETCH
// line is an envelope and a body structure, far below this) and the nesting of lists.
export const MAX_LINE_BYTES = 8 * 1024 * 1024;
const MAX_DEPTH = 64;
/** Default literal bound when the caller gives none: imapflow's own (1 GiB). */
export const DEFAULT_MAX_LITERAL_BYTES = 1024 * 1024 * 1024;

/** Tokenizes one response: text segments, each but the last followed by a literal. */
function tokenize(texts: Buffer[], literals: Buffer[]): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  for (let s = 0; s < texts.length; s++) {
    const text = texts[s]!;
    let i = 0;
    while (i < text.length) {
      const byte = text[i]!;
      const top = stack[stack.length - 1]!;
      if (byte === SPACE) i++;
      else if (byte === OPEN) {
        const list: Node[] = [];
        top.push(list);
        stack.push(list);
        if (stack.length > MAX_DEPTH) throw fetchProtocolError('lists nested too deeply');
        i++;
      } else if (byte === CLOSE) {
        if (stack.length === 1) throw fetchProtocolError('a ")" without its "("');
        stack.pop();
        i++;
      } else if (byte === QUOTE) {
        const bytes: number[] = [];
        i++;
        while (i < text.length && text[i] !== QUOTE) {
          if (text[i] === BACKSLASH && i + 1 < text.length) i++;
          bytes.push(text[i]!);
          i++;
        }
        if (i >= text.length) throw fetchProtocolError('a quoted string without its closing quote');
        i++;
        top.push({ type: 'STRING', value: Buffer.from(bytes).toString('utf8') });
      } else {
        const start = i;
        let depth = 0;
        while (i < text.length) {
          const c = text[i]!;
          if (c === OPEN_BRACKET) depth++;
          else if (c === CLOSE_BRACKET) depth--;
          else if (depth === 0 && (c === SPACE || c === OPEN || c === CLOSE)) break;
          i++;
        }
        const atom = text.toString('latin1', start, i);
        if (s < literals.length && i === text.length && LITERAL_AT_END.test(atom)) {
          top.push({ type: 'LITERAL', value: literals[s]! });
        } else {
          top.push(atom.toUpperCase() === 'NIL' ? null : { type: 'ATOM', value: atom });
        }
      }
    }
  }
  if (stack.length > 1) throw fetchProtocolError('a "(" without its ")"');
  return root;
}

function str(node: Node | undefined): string | undefined {
  if (!node || Array.isArray(node)) return undefined;
  return typeof node.value === 'string' ? node.value : node.value.toString('utf8');
}

function buf(node: Node | undefined): Buffer | undefined {
  if (!node || Array.isArray(node)) return undefined;
  return Buffer.isBuffer(node.value) ? node.value : Buffer.from(node.value);
}

function strings(node: Node | undefined): string[] {
  return Array.isArray(node) ? node.map(str).filter((v): v is string => v !== undefined) : [];
}

/** One `* n FETCH (...)` response: its sequence number, the items it carried, and the message. */
export interface FetchResponse {
  seq: number;
  /** The message fields present (uid, flags, source, ...), named as on BulkMessage. */
  items: Set<string>;
  message: BulkMessage;
}

/** PROTOCOL_ERROR for bytes that break the FETCH response grammar (RFC 3501 section 7.4.2). */
export function fetchProtocolError(what: string): ReturnType<typeof makeError> {
  return makeError(
    'PROTOCOL_ERROR',
    `The server sent a FETCH response that is not valid IMAP: ${what}.`,
    { details: { problem: what } },
  );
}

// nz-number (RFC 3501 section 9): what UID and a sequence number must be.
const NZ_NUMBER = /^[1-9]\d{0,9}$/;
const NUMBER = /^\d{1,20}$/;

function numberOf(node: Node | undefined, what: string, pattern: RegExp): number {
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

// Item name -> [message field, decoder]; one table instead of a branch per item.
const ITEMS: Record<string, [string, (value: Node | undefined) => unknown]> = {
  UID: ['uid', (value) => numberOf(value, 'UID', NZ_NUMBER)],
  FLAGS: ['flags', (value) => new Set(strings(value))],
  'RFC822.SIZE': ['size', (value) => numberOf(value, 'RFC822.SIZE', NUMBER)],
  INTERNALDATE: ['internalDate', dateOf],
  ENVELOPE: [
    'envelope',
    (value) => (Array.isArray(value) ? parseEnvelope(value as never) : undefined),
  ],
  BODYSTRUCTURE: [
    'bodyStructure',
    (value) => (Array.isArray(value) ? parseBodystructure(value as never) : undefined),
  ],
  'X-GM-LABELS': ['labels', (value) => new Set(strings(value))],
  'X-GM-THRID': ['threadId', str],
  'BODY[]': ['source', buf],
  'BINARY[]': ['source', buf],
};

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
    const key = (str(pairs[i]) ?? '').toUpperCase().replace(/<\d+(\.\d+)?>$/, '');
    const spec =
      ITEMS[key] ?? (key.startsWith('BODY[HEADER') ? (['headers', buf] as const) : undefined);
    if (!spec) continue;
    const value = spec[1](pairs[i + 1]);
    if (value === undefined) continue;
    message[spec[0]] = value;
    items.add(spec[0]);
  }
  return { message: message as unknown as BulkMessage, items };
}

/** What the framer reports besides FETCH responses: EXPUNGE shifts sequence numbers. */
export interface ParserEvents {
  onFetch(response: FetchResponse): void;
  onExpunge(): void;
  onTagged(result: TaggedResult, rest: Buffer): void;
}

const FETCH_HEAD = /^\* (\S+) FETCH /i;
const EXPUNGE_LINE = /^\* \d+ EXPUNGE$/i;
const EMPTY = Buffer.alloc(0);

/**
 * Incremental framing of a server's byte stream into responses. push() takes socket chunks;
 * each `* n FETCH` response is reported with its sequence number and items, and the tagged
 * line of `tag` ends the command. Memory is bounded: a line longer than MAX_LINE_BYTES or a
 * literal larger than maxLiteralBytes is a PROTOCOL_ERROR before it is buffered, and no byte
 * is scanned or copied twice.
 */
export class FetchResponseParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes of the current line already searched for its end. */
  private scanned = 0;
  private texts: Buffer[] = [];
  private literals: Buffer[] = [];
  private literalNeeded = -1;

  constructor(
    private readonly tag: string,
    private readonly events: ParserEvents,
    private readonly maxLiteralBytes = DEFAULT_MAX_LITERAL_BYTES,
  ) {}

  private take(count: number): Buffer {
    if (count === 0) return EMPTY;
    const first = this.chunks[0]!;
    let taken: Buffer;
    if (first.length >= count) {
      taken = first.subarray(0, count);
      if (first.length === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
    } else {
      const all = Buffer.concat(this.chunks, this.buffered);
      taken = all.subarray(0, count);
      this.chunks = count < all.length ? [all.subarray(count)] : [];
    }
    this.buffered -= count;
    return taken;
  }

  /** Offset of the next LF at or after `from`, across the buffered chunks; -1 if none yet. */
  private findLineFeed(from: number): number {
    let base = 0;
    for (const chunk of this.chunks) {
      if (from < base + chunk.length) {
        const at = chunk.indexOf(LF, Math.max(0, from - base));
        if (at >= 0) return base + at;
      }
      base += chunk.length;
    }
    return -1;
  }

  /**
   * Feeds socket bytes; returns false once the tagged line of the command was seen.
   * @throws PROTOCOL_ERROR for a line or literal over its bound, or a response that is not IMAP.
   */
  push(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.literalNeeded >= 0) {
        if (this.buffered < this.literalNeeded) return true;
        this.literals.push(Buffer.from(this.take(this.literalNeeded)));
        this.literalNeeded = -1;
      }
      const lf = this.findLineFeed(this.scanned);
      if (lf < 0) {
        this.scanned = this.buffered;
        if (this.buffered > MAX_LINE_BYTES)
          throw fetchProtocolError(`a line longer than ${MAX_LINE_BYTES} bytes`);
        return true;
      }
      this.scanned = 0;
      if (lf > MAX_LINE_BYTES)
        throw fetchProtocolError(`a line longer than ${MAX_LINE_BYTES} bytes`);
      const raw = this.take(lf + 1);
      const line = Buffer.from(
        raw.subarray(
          0,
          raw.length > 1 && raw[raw.length - 2] === CR ? raw.length - 2 : raw.length - 1,
        ),
      );
      this.texts.push(line);
      const literal = LITERAL_AT_END.exec(line.toString('latin1', Math.max(0, line.length - 24)));
      if (literal) {
        if (literal[1]!.length > 12 || Number(literal[1]) > this.maxLiteralBytes) {
          throw fetchProtocolError(
            `a literal of ${literal[1]} bytes, over the limit of ${this.maxLiteralBytes}`,
          );
        }
        this.literalNeeded = Number(literal[1]);
        continue;
      }
      if (!this.complete()) return false;
    }
  }

  /** One whole response is buffered: dispatch it. Returns false after the tagged line. */
  private complete(): boolean {
    const texts = this.texts;
    const literals = this.literals;
    this.texts = [];
    this.literals = [];
    const head = texts[0]!.toString('latin1', 0, Math.min(texts[0]!.length, 64));
    if (head.startsWith(`${this.tag} `)) {
      const [, status = '', text = ''] = /^\S+ (\S+) ?(.*)$/.exec(texts[0]!.toString('utf8')) ?? [];
      this.events.onTagged({ status: status.toUpperCase(), text }, this.take(this.buffered));
      return false;
    }
    const fetch = FETCH_HEAD.exec(head);
    if (fetch) {
      const nodes = tokenize(texts, literals);
      const pairs = nodes[3];
      if (!Array.isArray(pairs)) throw fetchProtocolError('FETCH without its item list');
      const seq = numberOf(nodes[1], 'message number', NZ_NUMBER);
      this.events.onFetch({ seq, ...toMessage(pairs) });
    } else if (EXPUNGE_LINE.test(head)) this.events.onExpunge();
    else if (!head.startsWith('* ') && !head.startsWith('+'))
      throw fetchProtocolError(`an unexpected line ${JSON.stringify(head.slice(0, 32))}`);
    return true;
  }
}
