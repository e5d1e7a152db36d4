/**
 * A streaming reader of UID SEARCH answers (RFC 3501 section 7.2.5, RFC 4731 ESEARCH), for
 * the read path. `* SEARCH` numbers are taken byte by byte as they arrive, so a folder's
 * million UIDs cost their numbers and never a million tokens (imapflow's parser held about
 * 600 MB for that); no answer may name more UIDs than the folder has messages (EXISTS).
 */
import { makeError, type ConnectorError } from '../errors.js';
import { MAX_LINE_BYTES, type TaggedResult } from './fetch-response-parser.js';
import { LITERAL_AT_END } from './fetch-tokens.js';

const CR = 13;
const LF = 10;
const SPACE = 32;
const ZERO = 48;
const NINE = 57;
const MAX_UID = 0xffffffff;
// How much of a line's start decides what it is: "* SEARCH" or "TAG OK ...".
const HEAD_BYTES = 16;
const UID_SET = /^[1-9]\d{0,9}(:[1-9]\d{0,9})?(,[1-9]\d{0,9}(:[1-9]\d{0,9})?)*$/;

export function searchProtocolError(what: string): ConnectorError {
  return makeError('PROTOCOL_ERROR', `The server answered UID SEARCH with ${what}.`, {
    details: { problem: what },
  });
}

type Mode = 'head' | 'numbers' | 'line' | 'skip';

/** push() takes socket chunks until the tagged line; uids() gives the result, ascending. */
export class SearchResponseParser {
  private mode: Mode = 'head';
  private head: number[] = [];
  private line: Buffer[] = [];
  private lineBytes = 0;
  private skip = 0;
  private number = -1;
  private readonly found: number[] = [];

  constructor(
    private readonly tag: string,
    private readonly limit: number,
  ) {}

  /**
   * Feeds socket bytes; returns the tagged result and the bytes after it once it came.
   * @throws PROTOCOL_ERROR for a UID that is none, more UIDs than the folder has, or a line over its bound.
   */
  push(chunk: Buffer): { result: TaggedResult; rest: Buffer } | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.mode === 'skip') {
        const take = Math.min(this.skip, chunk.length - i);
        this.skip -= take;
        i += take;
        if (this.skip === 0) this.mode = 'line';
      } else if (this.mode === 'line') {
        const lf = chunk.indexOf(LF, i);
        this.keep(chunk.subarray(i, lf < 0 ? chunk.length : lf));
        if (lf < 0) return undefined;
        i = lf + 1;
        const result = this.endLine();
        if (result) return { result, rest: chunk.subarray(i) };
      } else if (this.mode === 'numbers') this.number_(chunk[i++]!);
      else {
        const result = this.headByte(chunk[i++]!);
        if (result) return { result, rest: chunk.subarray(i) };
      }
    }
    return undefined;
  }

  // The first bytes of a line decide how it is read: "* SEARCH" numbers are streamed.
  private headByte(byte: number): TaggedResult | undefined {
    this.head.push(byte);
    const text = Buffer.from(this.head).toString('latin1');
    if (/^\* SEARCH[ \r\n]$/i.test(text)) {
      this.mode = 'numbers';
      if (byte !== SPACE) this.number_(byte);
      return undefined;
    }
    const couldBeSearch =
      '* SEARCH'.startsWith(text.toUpperCase().slice(0, 8)) && this.head.length < HEAD_BYTES;
    if (byte === LF) {
      this.keep(Buffer.from(this.head.slice(0, -1)));
      this.head = [];
      return this.endLine();
    }
    if (!couldBeSearch) {
      this.mode = 'line';
      this.keep(Buffer.from(this.head));
      this.head = [];
    }
    return undefined;
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return;
    this.line.push(part);
    this.lineBytes += part.length;
    if (this.lineBytes > MAX_LINE_BYTES)
      throw searchProtocolError(`a line longer than ${MAX_LINE_BYTES} bytes`);
  }

  /** The UIDs found, ascending and each once. */
  uids(): number[] {
    const sorted = this.found.sort((a, b) => a - b);
    return sorted.filter((uid, i) => i === 0 || uid !== sorted[i - 1]);
  }

  private add(uid: number): void {
    if (uid < 1 || uid > MAX_UID) throw searchProtocolError(`${uid}, which is not a UID`);
    this.found.push(uid);
    if (this.found.length > this.limit)
      throw searchProtocolError(`more UIDs than the folder has messages (${this.limit})`);
  }

  // One byte of "* SEARCH 1 2 3\r\n": digits, spaces, the line end, nothing else.
  private number_(byte: number): void {
    if (byte >= ZERO && byte <= NINE) {
      this.number = this.number < 0 ? byte - ZERO : this.number * 10 + byte - ZERO;
      if (this.number > MAX_UID) throw searchProtocolError('a number beyond any UID');
    } else if (byte === SPACE || byte === CR || byte === LF) {
      if (this.number >= 0) this.add(this.number);
      this.number = -1;
      if (byte === LF) this.mode = 'head';
      this.head = [];
    } else throw searchProtocolError(`${JSON.stringify(String.fromCharCode(byte))} among its UIDs`);
  }

  // A whole line other than * SEARCH: the tagged end, an ESEARCH, or something unsolicited.
  private endLine(): TaggedResult | undefined {
    const text = Buffer.concat(this.line).toString('utf8').replace(/\r$/, '');
    this.line = [];
    this.lineBytes = 0;
    this.head = [];
    const literal = LITERAL_AT_END.exec(text);
    if (literal) {
      // An unsolicited response with a literal (a FETCH): skip its bytes, read on.
      if (literal[1]!.length > 12) throw searchProtocolError(`a literal of ${literal[1]} bytes`);
      this.skip = Number(literal[1]);
      this.mode = this.skip > 0 ? 'skip' : 'line';
      return undefined;
    }
    this.mode = 'head';
    if (text.startsWith(`${this.tag} `)) {
      const [, status = '', rest = ''] = /^\S+ (\S+) ?(.*)$/.exec(text) ?? [];
      return { status: status.toUpperCase(), text: rest, tag: this.tag };
    }
    if (/^\* ESEARCH /i.test(text)) this.esearch(text);
    return undefined;
  }

  // RFC 4731: * ESEARCH (TAG "X1") UID ALL 1:5,9 - the only ESEARCH this connector asks for.
  private esearch(text: string): void {
    const all = /\bALL (\S+)/i.exec(text);
    if (!all) return;
    const set = all[1]!;
    if (!UID_SET.test(set))
      throw searchProtocolError(`${JSON.stringify(set.slice(0, 40))}, which is not a UID set`);
    for (const part of set.split(',')) {
      const [from, to = from] = part.split(':').map(Number) as [number, number?];
      // Never expand a range the folder cannot hold: 1:4294967295 from a broken server.
      if (this.found.length + Math.abs(to - from) + 1 > this.limit)
        throw searchProtocolError(`more UIDs than the folder has messages (${this.limit})`);
      for (let uid = Math.min(from, to); uid <= Math.max(from, to); uid++) this.add(uid);
    }
  }
}
