/**
 * A streaming parser for bulk UID FETCH responses (RFC 3501 section 7.4.2), for the read path
 * only. It frames responses (lines and {n} literals), tokenizes them into the node shape
 * imapflow's parser produces, and turns each `* n FETCH (...)` into the message object
 * imapflow's fetch() would give, reusing imapflow's own ENVELOPE and BODYSTRUCTURE decoders
 * so both paths yield the same rows (test/integration/bulk-fetch.int.test.ts compares them).
 * imapflow compiles every response back to text for its log, which is about a quarter of its
 * CPU time on bulk FETCH (see the README's Performance section); this parser does not.
 */
import { parseBodystructure, parseEnvelope } from 'imapflow/lib/tools.js';
import type { FetchedMessage } from '../rows/message-to-row.js';

/** A token in imapflow's shape: NIL is null, a list is an array. */
export type Node = { type: 'ATOM' | 'STRING' | 'LITERAL'; value: string | Buffer } | null | Node[];

/** A fetched message, with the full source when BODY[] was asked for. */
export type BulkMessage = FetchedMessage & { source?: Buffer };

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
// Largest single literal accepted; a bigger announcement is a broken or hostile server.
const MAX_LITERAL_BYTES = 1024 * 1024 * 1024;

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
        i++;
      } else if (byte === CLOSE) {
        if (stack.length > 1) stack.pop();
        i++;
      } else if (byte === QUOTE) {
        const bytes: number[] = [];
        i++;
        while (i < text.length && text[i] !== QUOTE) {
          if (text[i] === BACKSLASH && i + 1 < text.length) i++;
          bytes.push(text[i]!);
          i++;
        }
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

/** The attribute pairs of one FETCH response -> imapflow's message shape (the fields rows use). */
export function toMessage(pairs: Node[]): BulkMessage {
  const message: Record<string, unknown> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const key = (str(pairs[i]) ?? '').toUpperCase().replace(/<\d+(\.\d+)?>$/, '');
    const value = pairs[i + 1];
    if (key === 'UID') message.uid = Number(str(value));
    else if (key === 'FLAGS') message.flags = new Set(strings(value));
    else if (key === 'RFC822.SIZE') message.size = Number(str(value)) || 0;
    else if (key === 'INTERNALDATE') {
      const text = str(value) ?? '';
      const date = new Date(text);
      message.internalDate = Number.isNaN(date.getTime()) ? text : date;
    } else if (key === 'ENVELOPE' && Array.isArray(value)) message.envelope = parseEnvelope(value as never);
    else if (key === 'BODYSTRUCTURE' && Array.isArray(value)) message.bodyStructure = parseBodystructure(value as never);
    else if (key === 'X-GM-LABELS') message.labels = new Set(strings(value));
    else if (key === 'X-GM-THRID') message.threadId = str(value);
    else if (key === 'BODY[]' || key === 'BINARY[]') message.source = buf(value);
    else if (key.startsWith('BODY[HEADER')) message.headers = buf(value);
  }
  return message as unknown as BulkMessage;
}

/**
 * Incremental framing of a server's byte stream into responses. push() takes socket chunks;
 * onFetch gets each FETCH response's message; the tagged line of `tag` ends the command.
 */
export class FetchResponseParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private texts: Buffer[] = [];
  private literals: Buffer[] = [];
  private literalNeeded = -1;

  constructor(
    private readonly tag: string,
    private readonly onFetch: (message: BulkMessage) => void,
    private readonly onTagged: (result: TaggedResult, rest: Buffer) => void,
  ) {}

  private take(count: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = count < all.length ? [all.subarray(count)] : [];
    this.buffered -= count;
    return all.subarray(0, count);
  }

  private indexOfLineEnd(): number {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = all.length ? [all] : [];
    for (let i = all.indexOf(LF); i >= 0; i = all.indexOf(LF, i + 1)) if (i > 0 && all[i - 1] === CR) return i - 1;
    return -1;
  }

  /** Feeds socket bytes; returns false once the tagged line of the command was seen. */
  push(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.literalNeeded >= 0) {
        if (this.buffered < this.literalNeeded) return true;
        this.literals.push(Buffer.from(this.take(this.literalNeeded)));
        this.literalNeeded = -1;
      }
      const end = this.indexOfLineEnd();
      if (end < 0) return true;
      const line = this.take(end + 2).subarray(0, end);
      const literal = LITERAL_AT_END.exec(line.toString('latin1', Math.max(0, line.length - 16)));
      this.texts.push(Buffer.from(line));
      if (literal) {
        this.literalNeeded = Number(literal[1]);
        if (this.literalNeeded > MAX_LITERAL_BYTES) throw Object.assign(new Error('literal too large'), { code: 'LiteralTooLarge' });
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
      this.onTagged({ status: status.toUpperCase(), text }, this.take(this.buffered));
      return false;
    }
    if (/^\* \d+ FETCH /i.test(head)) {
      const nodes = tokenize(texts, literals);
      const pairs = nodes[3];
      if (Array.isArray(pairs)) this.onFetch(toMessage(pairs));
    }
    return true;
  }
}
