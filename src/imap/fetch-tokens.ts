/**
 * Tokens of one IMAP response (RFC 3501 section 9): atoms, quoted strings, literals and
 * parenthesised lists, in the node shape imapflow's parser produces, so imapflow's own
 * ENVELOPE and BODYSTRUCTURE decoders read them. Strict: what breaks the grammar is a
 * PROTOCOL_ERROR, never a silently different message.
 */
import { isAscii } from 'node:buffer';
import { makeError } from '../errors.js';
import { MAX_LIST_DEPTH } from '../message-limits.js';

/** A token in imapflow's shape: NIL is null, a list is an array. */
export type Node = { type: 'ATOM' | 'STRING' | 'LITERAL'; value: string | Buffer } | null | Node[];

/** PROTOCOL_ERROR for bytes that break the FETCH response grammar (RFC 3501 section 7.4.2). */
export function fetchProtocolError(what: string): ReturnType<typeof makeError> {
  return makeError(
    'PROTOCOL_ERROR',
    `The server sent a FETCH response that is not valid IMAP: ${what}.`,
    { details: { problem: what } },
  );
}

const SPACE = 32;
const QUOTE = 34;
const OPEN = 40;
const CLOSE = 41;
const BACKSLASH = 92;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
/** A literal announcement ends the line: "{123}" (or "{123+}" from LITERAL+ aware servers). */
export const LITERAL_AT_END = /\{(\d+)\+?\}$/;

// ASCII segments tokenized as strings by this process: the tests see that the path is taken.
let asciiSoFar = 0;
export function asciiSegmentsSoFar(): number {
  return asciiSoFar;
}

/** Tokenizes one response: text segments, each but the last followed by a literal. */
export function tokenize(texts: Buffer[], literals: Buffer[]): Node[] {
  return tokenizeSegments(texts, literals, true);
}

/** tokenize() reading every segment byte by byte, as it does one with 8-bit bytes (for the tests). */
export function tokenizeBytes(texts: Buffer[], literals: Buffer[]): Node[] {
  return tokenizeSegments(texts, literals, false);
}

function tokenizeSegments(texts: Buffer[], literals: Buffer[], asciiPath: boolean): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  for (let s = 0; s < texts.length; s++) {
    const text = texts[s]!;
    // RFC 3501 allows NUL only inside a literal: a flag or UID with one is a broken server's.
    if (text.includes(0)) throw fetchProtocolError('a NUL byte outside a literal');
    // Most responses are ASCII (8-bit header text comes RFC 2047-encoded): one string for the
    // segment, cut into tokens by slices, costs a fraction of a Buffer decode per token.
    if (asciiPath && isAscii(text)) {
      asciiSoFar++;
      tokenizeAscii(text, s < literals.length ? literals[s] : undefined, stack);
      continue;
    }
    let i = 0;
    while (i < text.length) {
      const byte = text[i]!;
      const top = stack[stack.length - 1]!;
      if (byte === SPACE) i++;
      else if (byte === OPEN || byte === CLOSE) {
        nest(stack, byte);
        i++;
      } else if (byte === QUOTE) {
        i = readQuoted(text, i + 1, top);
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
          const nil = atom.length === 3 && atom.toUpperCase() === 'NIL';
          top.push(nil ? null : { type: 'ATOM', value: atom });
        }
      }
    }
  }
  if (stack.length > 1) throw fetchProtocolError('a "(" without its ")"');
  return root;
}

/** One ASCII text segment as tokenize() reads it; `literal` follows it when the segment announces one. */
function tokenizeAscii(bytes: Buffer, literal: Buffer | undefined, stack: Node[][]): void {
  const text = bytes.toString('latin1');
  let i = 0;
  const end = text.length;
  while (i < end) {
    const byte = text.charCodeAt(i);
    const top = stack[stack.length - 1]!;
    if (byte === SPACE) i++;
    else if (byte === OPEN || byte === CLOSE) {
      nest(stack, byte);
      i++;
    } else if (byte === QUOTE) i = readQuotedAscii(text, bytes, i + 1, top);
    else {
      const start = i;
      let depth = 0;
      while (i < end) {
        const c = text.charCodeAt(i);
        if (c === OPEN_BRACKET) depth++;
        else if (c === CLOSE_BRACKET) depth--;
        else if (depth === 0 && (c === SPACE || c === OPEN || c === CLOSE)) break;
        i++;
      }
      if (i - start === 3 && isNil(text, start)) top.push(null);
      else {
        const atom = text.slice(start, i);
        if (literal !== undefined && i === end && LITERAL_AT_END.test(atom))
          top.push({ type: 'LITERAL', value: literal });
        else top.push({ type: 'ATOM', value: atom });
      }
    }
  }
}

/** A list opened (into the innermost one) or closed. */
function nest(stack: Node[][], byte: number): void {
  if (byte === OPEN) {
    const list: Node[] = [];
    stack[stack.length - 1]!.push(list);
    stack.push(list);
    if (stack.length > MAX_LIST_DEPTH)
      throw fetchProtocolError(`lists nested deeper than ${MAX_LIST_DEPTH} levels`);
  } else {
    if (stack.length === 1) throw fetchProtocolError('a ")" without its "("');
    stack.pop();
  }
}

/** readQuoted() on a segment's string: a slice up to the closing quote when nothing is escaped. */
function readQuotedAscii(text: string, bytes: Buffer, from: number, into: Node[]): number {
  const close = text.indexOf('"', from);
  const escape = text.indexOf('\\', from);
  if (close < 0 || (escape >= 0 && escape < close)) return readQuoted(bytes, from, into);
  into.push({ type: 'STRING', value: text.slice(from, close) });
  return close + 1;
}

/** NIL in any case at `at`. */
function isNil(text: string, at: number): boolean {
  return (
    (text.charCodeAt(at) | 0x20) === 0x6e &&
    (text.charCodeAt(at + 1) | 0x20) === 0x69 &&
    (text.charCodeAt(at + 2) | 0x20) === 0x6c
  );
}

/**
 * Reads the quoted string opened before `from` into `into`, in one pass: decoded in place
 * unless it escapes a quote or backslash. Returns the index after its closing quote.
 */
function readQuoted(text: Buffer, from: number, into: Node[]): number {
  let escaped = false;
  for (let i = from; i < text.length; i++) {
    if (text[i] === BACKSLASH) {
      escaped = true;
      i++;
    } else if (text[i] === QUOTE) {
      const value = escaped ? unescaped(text, from, i) : text.toString('utf8', from, i);
      into.push({ type: 'STRING', value });
      return i + 1;
    }
  }
  throw fetchProtocolError('a quoted string without its closing quote');
}

/** A quoted string's text with its backslash escapes taken out. */
function unescaped(text: Buffer, start: number, end: number): string {
  const bytes: number[] = [];
  for (let i = start; i < end; i++) {
    if (text[i] === BACKSLASH) i++;
    bytes.push(text[i]!);
  }
  return Buffer.from(bytes).toString('utf8');
}

export function str(node: Node | undefined): string | undefined {
  if (!node || Array.isArray(node)) return undefined;
  return typeof node.value === 'string' ? node.value : node.value.toString('utf8');
}

export function buf(node: Node | undefined): Buffer | undefined {
  if (!node || Array.isArray(node)) return undefined;
  return Buffer.isBuffer(node.value) ? node.value : Buffer.from(node.value);
}

export function strings(node: Node | undefined): string[] {
  return Array.isArray(node) ? node.map(str).filter((v): v is string => v !== undefined) : [];
}
