import type { Socket } from 'node:net';
import { makeError, type ConnectorError } from '../errors.js';
import { abortedError } from '../sleep.js';

/** When an answer must be complete, what it answers, and the caller's signal. */
export interface ReadDeadline {
  until: number;
  what: string;
  signal?: AbortSignal;
}

// A status line longer than this is not POP3 (RFC 2449: 512 octets; some servers say more).
const MAX_LINE = 64 * 1024;
const CRLF_DOT_CRLF = Buffer.from('\r\n.\r\n');

/**
 * The server's bytes as POP3 answers: status lines, and multi-line answers up to the lone "."
 * with dot-stuffing undone (RFC 1939 section 3). Bytes are kept in one growing buffer (doubled
 * when full), so a large message costs a copy or two, not one per network chunk.
 */
export class Pop3Reader {
  private store = Buffer.alloc(64 * 1024);
  private start = 0;
  private end = 0;
  private wake: (() => void) | undefined;
  private closed: ConnectorError | undefined;
  private readonly onData = (chunk: Buffer): void => this.append(chunk);
  private readonly onClose = (): void => this.fail(lost('the server closed the connection'));
  private readonly onError = (error: Error): void => this.fail(lost(error.message));

  constructor(
    private readonly socket: Socket,
    private readonly maxBytes: number,
  ) {
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  /** Stops reading this socket (before STLS hands it to TLS). */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onClose);
    this.socket.off('error', this.onError);
  }

  /** The next status line, without its CRLF. */
  async line(deadline: ReadDeadline): Promise<string> {
    for (;;) {
      const at = this.view().indexOf('\r\n');
      if (at >= 0) {
        const text = this.view().subarray(0, at).toString('utf8');
        this.start += at + 2;
        return text;
      }
      if (this.end - this.start > MAX_LINE)
        throw makeError(
          'PROTOCOL_ERROR',
          `The POP3 server's answer to ${deadline.what} has no line end.`,
        );
      await this.more(deadline);
    }
  }

  /** A multi-line answer's lines, dot-stuffing undone (CAPA, UIDL, LIST). */
  async lines(deadline: ReadDeadline): Promise<string[]> {
    const text = (await this.multiline(deadline)).toString('utf8');
    return text === '' ? [] : text.replace(/\r\n$/, '').split('\r\n');
  }

  /** A multi-line answer's bytes up to the terminating "." line, dot-stuffing undone. */
  async multiline(deadline: ReadDeadline): Promise<Buffer> {
    let scanned = 0;
    for (;;) {
      const view = this.view();
      if (view.length >= 3 && view[0] === 0x2e && view[1] === 0x0d && view[2] === 0x0a) {
        this.start += 3;
        return Buffer.alloc(0);
      }
      const at = view.indexOf(CRLF_DOT_CRLF, Math.max(0, scanned - 4));
      if (at >= 0) {
        const body = unstuff(view.subarray(0, at + 2));
        this.start += at + CRLF_DOT_CRLF.length;
        return body;
      }
      scanned = view.length;
      if (scanned > this.maxBytes)
        throw makeError(
          'PROTOCOL_ERROR',
          `The POP3 server's answer to ${deadline.what} is larger than the ${this.maxBytes} bytes accepted.`,
        );
      await this.more(deadline);
    }
  }

  private view(): Buffer {
    return this.store.subarray(this.start, this.end);
  }

  private append(chunk: Buffer): void {
    if (this.end + chunk.length > this.store.length) {
      const held = this.end - this.start;
      const size = Math.max(this.store.length, (held + chunk.length) * 2);
      const next = size > this.store.length ? Buffer.allocUnsafe(size) : this.store;
      this.store.copy(next, 0, this.start, this.end);
      this.store = next;
      this.start = 0;
      this.end = held;
    }
    chunk.copy(this.store, this.end);
    this.end += chunk.length;
    this.wake?.();
  }

  private fail(error: ConnectorError): void {
    this.closed ??= error;
    this.wake?.();
  }

  /** Waits for more bytes, the deadline, the caller's abort or the end of the connection. */
  private more(deadline: ReadDeadline): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    if (deadline.signal?.aborted) return Promise.reject(abortedError());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          done();
          this.socket.destroy();
          reject(
            makeError(
              'SOCKET_TIMEOUT',
              `The POP3 server did not finish answering ${deadline.what} in time.`,
            ),
          );
        },
        Math.max(0, deadline.until - Date.now()),
      );
      const onAbort = (): void => {
        done();
        this.socket.destroy();
        reject(abortedError());
      };
      const done = (): void => {
        clearTimeout(timer);
        deadline.signal?.removeEventListener('abort', onAbort);
        this.wake = undefined;
      };
      deadline.signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = () => {
        done();
        if (this.closed && this.end === this.start) reject(this.closed);
        else resolve();
      };
    });
  }
}

function lost(why: string): ConnectorError {
  return makeError('CONNECTION_LOST', `The POP3 connection was lost: ${why}.`);
}

/** Undoes dot-stuffing: a line that starts with "." was sent with one more "." in front. */
function unstuff(body: Buffer): Buffer {
  if (body.indexOf('\r\n..') < 0 && !(body[0] === 0x2e && body[1] === 0x2e)) return body;
  const out = Buffer.allocUnsafe(body.length);
  let length = 0;
  let lineStart = true;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (lineStart && byte === 0x2e && body[i + 1] === 0x2e) {
      lineStart = false;
      continue;
    }
    out[length++] = byte;
    lineStart = byte === 0x0a;
  }
  return out.subarray(0, length);
}
