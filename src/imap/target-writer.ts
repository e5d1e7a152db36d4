/**
 * The destination's socket for the pipe (pipe-appends.ts), leased from imapflow across the
 * pipes of a folder: MULTIAPPEND commands written on it, their tagged answers matched by tag.
 */
import { connectionGone, leaseSocket, type SocketLease } from './borrow-socket.js';
import { withCommandDeadline } from './command-deadline.js';
import { FetchResponseParser, logAnswer, type TaggedResult } from './fetch-response-parser.js';
import type { Session } from './open-session.js';

// Bytes the target's send buffer may hold before the source is read further.
export const SEND_BUFFER_BYTES = 1024 * 1024;

/** The target's socket for the pipe: commands written, their tagged answers matched by tag. */
export class TargetWriter {
  private lease: SocketLease | undefined;
  private readonly waiting = new Map<string, (result: TaggedResult | Error) => void>();
  private readonly parser = new FetchResponseParser((tag) => this.waiting.has(tag), {
    onFetch: () => undefined, // flag changes of the target folder: not ours to follow
    onExpunge: () => undefined,
    onTagged: (result, rest) => {
      logAnswer(this.target.logger, result);
      this.rest = rest;
      this.answer(result.tag, result);
    },
  });
  private rest: Buffer = Buffer.alloc(0);
  /** Bytes after the last answer awaited: imapflow's (EXISTS), unless another command follows. */
  private held: Buffer[] | undefined;
  /** The socket closed, spoke no IMAP, or went silent while a write waited. */
  failed = false;

  constructor(private readonly target: Session) {}

  open(): boolean {
    this.lease = leaseSocket(this.target.client, {
      onData: (chunk) => this.onData(chunk),
      onClose: () => this.failAll(connectionGone()),
    });
    return this.lease !== undefined;
  }

  private onData(chunk: Buffer): void {
    if (this.held) return void this.held.push(chunk);
    let input = chunk;
    try {
      while (!this.parser.push(input)) {
        input = this.rest;
        if (this.waiting.size === 0) return void (this.held = [input]);
      }
    } catch (error) {
      this.destroy();
      this.failAll(error as Error);
    }
  }

  expect(tag: string): Promise<TaggedResult> {
    const answer = new Promise<TaggedResult>((resolve, reject) =>
      this.waiting.set(tag, (result) =>
        result instanceof Error ? reject(result) : resolve(result),
      ),
    );
    answer.catch(() => undefined); // collected in order; a later one may fail first
    // A command answered before its end (a refusal) left the bytes after it held: they are
    // this one's answer's now.
    const held = this.held;
    this.held = undefined;
    if (held) this.onData(Buffer.concat(held));
    return answer;
  }

  /** `written` is called once the socket is done with `data` (sent, or the socket gone). */
  write(data: string | Buffer, written?: () => void): void {
    if (!this.lease) return void written?.();
    this.lease.holdWrites();
    this.lease.write(data, written);
  }

  /** Resolves once the send buffer has room; a target that takes nothing times out as an APPEND. */
  async flowing(): Promise<void> {
    if (!this.lease) throw connectionGone();
    try {
      await withCommandDeadline(
        this.target,
        'APPEND',
        () => this.lease!.flowing(SEND_BUFFER_BYTES),
        {
          abortable: false,
          sent: true,
        },
      );
    } catch (error) {
      this.failed = true;
      throw error;
    }
    if (!this.lease) throw connectionGone();
  }

  private answer(tag: string, result: TaggedResult | Error): void {
    const settle = this.waiting.get(tag);
    this.waiting.delete(tag);
    settle?.(result);
  }

  private failAll(error: Error): void {
    this.failed = true;
    this.lease = undefined;
    for (const tag of [...this.waiting.keys()]) this.answer(tag, error);
  }

  /** Nothing of an unfinished command may be stored: the socket goes, and with it the session. */
  destroy(): void {
    this.lease?.destroy();
    this.failAll(connectionGone());
  }

  /** Hands the socket back to imapflow once every command is answered. */
  close(): void {
    const lease = this.lease;
    this.lease = undefined;
    if (lease && this.waiting.size === 0) lease.giveBack(Buffer.concat(this.held ?? []));
    else lease?.destroy();
  }
}
