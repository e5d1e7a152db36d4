/**
 * One `UID FETCH <set> (UID BODY.PEEK[])` on the source session's socket whose bodies are read
 * as they arrive (issue 30, item 1): the caller takes each message's UID and length, then its
 * bytes a slice at a time, and writes them on (pipe-appends.ts). The socket stops being read
 * while more than 1 MB waits for the caller, so the server waits on TCP instead of this process
 * holding the messages; what it reads is copied into the pipe's ring (byte-ring.ts), so the
 * socket's own Buffers die young.
 */
import { connectionGone, leaseSocket, nextTag, type SocketLease } from './borrow-socket.js';
import { withCommandDeadline } from './command-deadline.js';
import { uidFetchLine } from './command-line.js';
import type { ByteRing, RingSpan } from './byte-ring.js';
import { logAnswer, type TaggedResult } from './fetch-response-parser.js';
import type { Session } from './open-session.js';
import { PipedFetchParser } from './piped-fetch-parser.js';
import { toUidSet } from './uid-set.js';

/**
 * Bytes received and not yet taken above which the socket is paused, and below which it reads
 * again. With the target's send buffer (target-writer.ts) they bound what the pipe's ring holds.
 */
export const PAUSE_ABOVE = 1024 * 1024;
const RESUME_BELOW = 256 * 1024;

/** A message's body as the FETCH announces it. */
export interface PipedBody {
  uid: number;
  size: number;
}

/** Bytes of a body, and how to say they are written (their memory may be used again). */
export interface PipedChunk {
  bytes: Buffer;
  written(): void;
}

type Item = { start: PipedBody } | PipedChunk | { end: true };

const NOTHING_TO_LET_GO = (): void => undefined;

export class PipedFetch {
  private readonly queue: Item[] = [];
  private queued = 0;
  private paused = false;
  private wake: (() => void) | undefined;
  private finished: { result: TaggedResult } | { error: Error } | undefined;
  private readonly started = new Set<number>();
  private lease: SocketLease | undefined;
  /** The span of the chunk being parsed, which the slices passed on hold. */
  private parsing: RingSpan | undefined;

  /**
   * Sends the FETCH. A message whose answer puts its UID after its body (Dovecot puts it first)
   * is left out: its bytes cannot be placed before they arrive.
   * @returns undefined when the session cannot lend its socket (nothing was sent).
   */
  static start(session: Session, uids: readonly number[], ring?: ByteRing): PipedFetch | undefined {
    const fetch = new PipedFetch(session, new Set(uids), ring);
    return fetch.send() ? fetch : undefined;
  }

  private constructor(
    private readonly session: Session,
    private readonly wanted: ReadonlySet<number>,
    private readonly ring: ByteRing | undefined,
  ) {}

  private send(): boolean {
    const tag = nextTag();
    const line = uidFetchLine(tag, toUidSet([...this.wanted]), '(UID BODY.PEEK[])');
    const parser = new PipedFetchParser(tag, {
      onBodyStart: (uid, size) => this.onBodyStart(uid, size),
      onBytes: (bytes) => {
        const span = this.parsing;
        span?.hold();
        this.add({ bytes, written: span ? () => span.letGo() : NOTHING_TO_LET_GO }, bytes.length);
      },
      onBodyEnd: () => this.add({ end: true }, 0),
      onTagged: (result, rest) => {
        logAnswer(this.session.logger, result);
        // imapflow's reader may keep what it is given: never the ring's memory.
        this.lease?.giveBack(Buffer.from(rest));
        this.finish({ result });
      },
    });
    this.lease = leaseSocket(this.session.client, {
      onData: (chunk) => {
        const span = this.ring?.copy(chunk);
        this.parsing = span;
        try {
          parser.push(span ? span.bytes : chunk);
        } catch (error) {
          this.abort();
          this.finish({ error: error as Error });
        } finally {
          this.parsing = undefined;
          span?.letGo();
        }
      },
      onClose: () => this.finish({ error: connectionGone() }),
    });
    if (!this.lease) return false;
    this.session.logger.debug({ src: 'connector:c', msg: line });
    this.lease.write(`${line}\r\n`);
    return true;
  }

  private onBodyStart(uid: number | undefined, size: number): boolean {
    if (uid === undefined || !this.wanted.has(uid) || this.started.has(uid)) return false;
    this.started.add(uid);
    this.add({ start: { uid, size } }, 0);
    return true;
  }

  private add(item: Item, bytes: number): void {
    this.queue.push(item);
    this.queued += bytes;
    if (this.queued > PAUSE_ABOVE && !this.paused) {
      this.paused = true;
      this.lease?.pause();
    }
    this.wakeUp();
  }

  private finish(how: { result: TaggedResult } | { error: Error }): void {
    this.finished ??= how;
    this.lease = undefined;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private take(): Item {
    const item = this.queue.shift()!;
    if ('bytes' in item) this.queued -= item.bytes.length;
    if (this.paused && this.queued < RESUME_BELOW) {
      this.paused = false;
      this.lease?.resume();
    }
    return item;
  }

  /** Resolves when something new arrived; times out as a FETCH whose server went silent. */
  private arrival(): Promise<void> {
    return withCommandDeadline(
      this.session,
      'UID FETCH',
      () => new Promise<void>((resolve) => (this.wake = resolve)),
      { abortable: false, sent: true },
    );
  }

  /** The tagged answer, once the FETCH ended; undefined before. */
  get result(): TaggedResult | undefined {
    return this.finished && 'result' in this.finished ? this.finished.result : undefined;
  }

  /**
   * The next message's body (what is left of the one before is skipped), or undefined once
   * the FETCH has ended.
   * @throws the connection's end or silence, or bytes that are not IMAP
   */
  async next(): Promise<PipedBody | undefined> {
    for (;;) {
      while (this.queue.length > 0) {
        const item = this.take();
        if ('start' in item) return item.start;
        if ('written' in item) item.written();
      }
      if (this.finished) {
        if ('error' in this.finished) throw this.finished.error;
        return undefined;
      }
      await this.arrival();
    }
  }

  /**
   * The next bytes of the current body, or undefined at its end. Their memory may be the
   * ring's: the caller says when they are written.
   * @throws as next(); also when the FETCH ended inside a body (it cannot: a tagged line
   *   comes after a literal)
   */
  async read(): Promise<PipedChunk | undefined> {
    for (;;) {
      if (this.queue.length > 0) {
        const head = this.queue[0]!;
        if ('start' in head) return undefined;
        const item = this.take();
        return 'bytes' in item ? item : undefined;
      }
      if (this.finished) {
        if ('error' in this.finished) throw this.finished.error;
        throw connectionGone();
      }
      await this.arrival();
    }
  }

  /** Ends the FETCH by destroying the socket (a caller that cannot take the rest). */
  abort(): void {
    this.lease?.destroy();
    this.finish({ error: connectionGone() });
  }
}
