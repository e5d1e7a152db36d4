/**
 * A streaming parser for bulk UID FETCH responses (RFC 3501 section 7.4.2): it frames the
 * server's bytes into responses (lines and {n} literals), tokenizes them (fetch-tokens.ts) and
 * turns each `* n FETCH (...)` into a message (fetch-message.ts). imapflow compiles every
 * response back to text for its log, which is about a quarter of its CPU time on bulk FETCH
 * (see docs/performance.md); this parser does not. Memory is bounded by MAX_LINE_BYTES and
 * the caller's literal bound.
 */
import { MAX_LINE_BYTES } from '../config/to-imapflow-options.js';
import { fetchProtocolError, LITERAL_AT_END, tokenize } from './fetch-tokens.js';
import { numberOf, NZ_NUMBER, toMessage, type FetchResponse } from './fetch-message.js';
import { uidOfDamaged } from './uid-of-damaged.js';
import { isConnectorError } from '../errors.js';
import type { Logger } from '../operation-options.js';

export type { BulkMessage, FetchResponse } from './fetch-message.js';
export { fetchProtocolError } from './fetch-tokens.js';

export interface TaggedResult {
  status: string;
  text: string;
  /** The tag it answered (several commands may be pending on one socket). */
  tag: string;
}

/** Logs the tagged answer to one of our commands at debug, as imapflow logs its own: no secret. */
export function logAnswer(logger: Logger, result: TaggedResult): void {
  logger.debug({ src: 'connector:s', msg: `${result.tag} ${result.status} ${result.text}` });
}

/** A tagged NO/BAD as imapflow would report it: status, text and the response code. */
export function taggedError(command: string, result: TaggedResult): Error {
  const code = /^\[([A-Z0-9-]+)[^\]]*\]\s*/i.exec(result.text);
  return Object.assign(new Error(`${command} failed: ${result.status}`), {
    responseStatus: result.status,
    responseText: code ? result.text.slice(code[0].length) : result.text,
    ...(code ? { serverResponseCode: code[1]!.toUpperCase() } : {}),
  });
}

const CR = 13;
const LF = 10;
// The bound on a line without literals is imapflow's too (a FETCH line is an envelope and a
// body structure, far below it).
export { MAX_LINE_BYTES };
/** Default literal bound when the caller gives none: imapflow's own (1 GiB). */
export const DEFAULT_MAX_LITERAL_BYTES = 1024 * 1024 * 1024;

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

  private readonly isOurs: (tag: string) => boolean;

  /** `tag`: the tag of the one command pending, or a test for the tags of several. */
  constructor(
    tag: string | ((tag: string) => boolean),
    private readonly events: ParserEvents,
    private readonly maxLiteralBytes = DEFAULT_MAX_LITERAL_BYTES,
    /** Where each literal is copied to: its own Buffer unless the caller manages the memory (literal-arena.ts). */
    private readonly allocate: (count: number) => Buffer = Buffer.allocUnsafe,
  ) {
    this.isOurs = typeof tag === 'string' ? (candidate) => candidate === tag : tag;
  }

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

  /**
   * The next `count` bytes as a Buffer of their own, copied once straight out of the chunks: a
   * literal must not keep socket chunks alive, and concatenating first copied it twice.
   */
  private takeCopy(count: number): Buffer {
    const copy = this.allocate(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length, count - filled);
      chunk.copy(copy, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.buffered -= count;
    return copy;
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
        this.literals.push(this.takeCopy(this.literalNeeded));
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
    const space = head.indexOf(' ');
    const tag = space > 0 ? head.slice(0, space) : head;
    if (tag !== '*' && tag !== '+' && this.isOurs(tag)) {
      const [, status = '', text = ''] = /^\S+ (\S+) ?(.*)$/.exec(texts[0]!.toString('utf8')) ?? [];
      this.events.onTagged({ status: status.toUpperCase(), text, tag }, this.take(this.buffered));
      return false;
    }
    const fetch = FETCH_HEAD.exec(head);
    if (fetch) this.events.onFetch(fetchResponseOf(texts, literals));
    else if (EXPUNGE_LINE.test(head)) this.events.onExpunge();
    else if (!head.startsWith('* ') && !head.startsWith('+'))
      throw fetchProtocolError(`an unexpected line ${JSON.stringify(head.slice(0, 32))}`);
    return true;
  }
}

/**
 * One framed `* n FETCH (...)` response as a message. A response that breaks the grammar but
 * names its UID is that message's failure alone (`problem`); without a UID it cannot be placed,
 * and the whole answer is a PROTOCOL_ERROR as before.
 */
function fetchResponseOf(texts: Buffer[], literals: Buffer[]): FetchResponse {
  try {
    const nodes = tokenize(texts, literals);
    const pairs = nodes[3];
    if (!Array.isArray(pairs)) throw fetchProtocolError('FETCH without its item list');
    const seq = numberOf(nodes[1], 'message number', NZ_NUMBER);
    return { seq, ...toMessage(pairs) };
  } catch (error) {
    const uid = uidOfDamaged(texts[0]!);
    const seq = Number(/^\* (\d+)/.exec(texts[0]!.toString('latin1', 0, 16))?.[1]);
    if (uid === undefined || !isConnectorError(error) || !Number.isSafeInteger(seq)) throw error;
    const problem = String(error.details?.problem ?? error.message);
    return {
      seq,
      items: new Set(['uid']),
      message: {
        uid,
        problem: {
          code: 'MESSAGE_UNPARSABLE',
          message: `The server's answer for this message is not valid IMAP: ${problem}.`,
        },
      },
      damaged: true,
    };
  }
}
