/**
 * Framing of a `UID FETCH (UID BODY.PEEK[])` answer whose body literals are passed on as they
 * arrive instead of being collected (piped-fetch.ts): each message's `{n}` is announced with
 * its UID and length before its first byte, then its bytes as slices of the socket's chunks.
 * Nothing is held but the current line, which is bounded like the bulk parser's.
 */
import { MAX_LINE_BYTES } from '../config/to-imapflow-options.js';
import { fetchProtocolError } from './fetch-tokens.js';
import type { TaggedResult } from './fetch-response-parser.js';

export interface PipedFetchEvents {
  /**
   * A message's body literal begins. `uid` is undefined when the server put the UID after the
   * body (it cannot be placed then). Returns whether its bytes are wanted (onBytes, then
   * onBodyEnd); if not, they are dropped unseen.
   */
  onBodyStart(uid: number | undefined, size: number): boolean;
  onBytes(bytes: Buffer): void;
  onBodyEnd(): void;
  onTagged(result: TaggedResult, rest: Buffer): void;
}

const LF = 10;
const FETCH_START = /^\* \d+ FETCH \(/i;
const LITERAL = /\{(\d{1,12})\}$/;
// The whole message (RFC 3501: BODY[] answers BODY.PEEK[]), not a part or a range.
const BODY_ITEM = /(?:^|[ (])BODY\[\] $/i;
const UID_ITEM = /[ (]UID (\d+)/i;

export class PipedFetchParser {
  private line: Buffer[] = [];
  private lineBytes = 0;
  private literalLeft = 0;
  private taking = false;
  /** Inside a response that a literal interrupted: whether it is a FETCH, and its text so far. */
  private response: { fetch: boolean; text: string } | undefined;
  private ended = false;

  constructor(
    private readonly tag: string,
    private readonly events: PipedFetchEvents,
  ) {}

  /**
   * Feeds socket bytes; returns false once the command's tagged line was seen (the bytes after
   * it went to onTagged).
   * @throws PROTOCOL_ERROR for a line over MAX_LINE_BYTES
   */
  push(chunk: Buffer): boolean {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.literalLeft > 0) {
        const used = Math.min(this.literalLeft, chunk.length - at);
        if (this.taking) this.events.onBytes(chunk.subarray(at, at + used));
        this.literalLeft -= used;
        at += used;
        if (this.literalLeft === 0 && this.taking) this.events.onBodyEnd();
        continue;
      }
      const lf = chunk.indexOf(LF, at);
      const end = lf < 0 ? chunk.length : lf + 1;
      this.lineBytes += end - at;
      if (this.lineBytes > MAX_LINE_BYTES)
        throw fetchProtocolError(`a line longer than ${MAX_LINE_BYTES} bytes`);
      // A line the chunk ends inside is kept past it: a copy (the chunk may be reused memory).
      this.line.push(lf < 0 ? Buffer.from(chunk.subarray(at, end)) : chunk.subarray(at, end));
      at = end;
      if (lf >= 0) this.onLine(chunk.subarray(at));
    }
    return !this.ended;
  }

  private onLine(rest: Buffer): void {
    const raw = this.line.length === 1 ? this.line[0]! : Buffer.concat(this.line);
    this.line = [];
    this.lineBytes = 0;
    const text = raw.toString('latin1').replace(/\r?\n$/, '');
    const literal = LITERAL.exec(text);
    if (this.response) {
      this.response.text += text;
      if (literal) this.startLiteral(Number(literal[1]));
      else this.response = undefined;
      return;
    }
    if (text.startsWith(`${this.tag} `)) {
      const [, status = '', said = ''] = /^\S+ (\S+) ?(.*)$/.exec(text) ?? [];
      this.ended = true;
      this.events.onTagged({ status: status.toUpperCase(), text: said, tag: this.tag }, rest);
      return;
    }
    if (literal) {
      // Any other response with a literal (none is asked for) is followed to its end unread.
      this.response = { fetch: FETCH_START.test(text), text };
      this.startLiteral(Number(literal[1]));
    }
  }

  private startLiteral(size: number): void {
    const response = this.response!;
    const beforeLiteral = response.text.replace(LITERAL, '');
    const isBody = response.fetch && BODY_ITEM.test(beforeLiteral);
    const uid = UID_ITEM.exec(beforeLiteral)?.[1];
    this.taking = isBody && this.events.onBodyStart(uid ? Number(uid) : undefined, size);
    this.literalLeft = size;
    // Only the items after it are read from here on: a literal's text is not kept.
    response.text = beforeLiteral;
    if (size === 0 && this.taking) this.events.onBodyEnd();
  }
}
