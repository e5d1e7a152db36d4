/**
 * MULTIAPPEND without waiting (RFC 3502 + LITERAL+, RFC 7888) on the session's own socket: the
 * next step goes before this one is answered (imapflow awaits "+" before every literal > 4 KB).
 */
import type { ConnectorError } from '../errors.js';
import {
  appendMany,
  appendedUids,
  appendOne,
  selectForAppend,
  type AppendManyResult,
  type AppendOutcome,
  type OutgoingMessage,
} from './append.js';
import { connectionGone, leaseSocket, nextTag, type SocketLease } from './borrow-socket.js';
import { withCommandDeadline } from './command-deadline.js';
import { appendLine } from './command-line.js';
import { appendCommandsOf, SourceStopped, tooLarge, writeAppendCommand } from './append-stream.js';
import { FetchResponseParser, logAnswer, type TaggedResult } from './fetch-response-parser.js';
import { encodeMailboxName } from './mailbox-name.js';
import type { Session } from './open-session.js';

type Waiting = { resolve(result: TaggedResult): void; reject(error: Error): void };

/** What send() has written: the answer of each chunk, in order; or, sent another way, the result. */
type Sent =
  | { chunks: OutgoingMessage[][]; answers: Promise<TaggedResult>[] }
  | { result: AppendManyResult };

/**
 * The APPENDs of one destination folder, in order: send() writes a step's commands
 * (append-stream.ts) and returns their outcomes when answered, in the order sent. A step that
 * cannot go so (no MULTIAPPEND or LITERAL+) and a command the server refused (RFC 3502: none of
 * it stored) go through appendMany/appendOne once nothing else is in flight: the one at fault
 * is found, the rest stored.
 */
export class AppendPipeline {
  private lease: SocketLease | undefined;
  private parser: FetchResponseParser | undefined;
  private tagged: { result: TaggedResult; rest: Buffer } | undefined;
  // A command is being written; bytes held for imapflow once it is answered before its end.
  private writing = false;
  private held: Buffer[] | undefined;
  private readonly waiting = new Map<string, Waiting>();
  private idle: (() => void)[] = [];
  // Sends and fallbacks in the order they were asked for.
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly session: Session,
    private readonly folder: string,
  ) {}

  /**
   * Stores messages in order. Never throws: a fatal error (connection, quota, timeout) ends the
   * outcomes and is returned, as appendMany's.
   */
  send(messages: readonly OutgoingMessage[]): Promise<AppendManyResult> {
    return this.inTurn(() => this.write(messages)).then(
      (sent) => ('result' in sent ? sent.result : this.collect(sent)),
      (error: unknown) => ({ outcomes: [], fatal: this.session.asError(error) }),
    );
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const mine = this.turn.then(work);
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  /** One by one through imapflow, once the socket is back with it. */
  private async serially(messages: readonly OutgoingMessage[]): Promise<AppendManyResult> {
    await this.drained();
    return appendMany(this.session, this.folder, messages);
  }

  /**
   * Writes the messages as MULTIAPPEND commands, or stores them one by one when they cannot go
   * so. A streamed message whose source failed midway cannot be finished: the socket is
   * destroyed (the server stores nothing of it) and the rest is not written.
   */
  private async write(messages: readonly OutgoingMessage[]): Promise<Sent> {
    const chunks = appendCommandsOf(this.session, messages);
    if (!chunks || !(await this.leased())) return { result: await this.serially(messages) };
    const mailbox = this.session.client.mailbox;
    const permanent = mailbox ? mailbox.permanentFlags : undefined;
    const answers: Promise<TaggedResult>[] = [];
    for (const chunk of chunks) {
      // Leased again when a streamed APPEND handed the socket back (refused before its end).
      const lease = await this.leased();
      if (!lease) {
        answers.push(Promise.reject(connectionGone()));
        break;
      }
      const tag = nextTag();
      const answer = new Promise<TaggedResult>((resolve, reject) =>
        this.waiting.set(tag, { resolve, reject }),
      );
      answer.catch(() => undefined); // collected in order; a later one may fail first
      const line = appendLine(tag, encodeMailboxName(this.folder));
      this.writing = true;
      try {
        await writeAppendCommand(lease, this.session, line, chunk, permanent);
      } catch (error) {
        lease.destroy();
        this.fail(error as Error);
        answers.push(answer);
        break;
      } finally {
        this.writing = false;
        this.handBackHeld();
      }
      const options = { abortable: false, sent: true };
      answers.push(withCommandDeadline(this.session, 'APPEND', () => answer, options));
      answers.at(-1)!.catch(() => undefined);
    }
    return { chunks: chunks.slice(0, answers.length), answers };
  }

  /** The outcomes of written chunks in order; a refused chunk goes again one by one. */
  private async collect(
    sent: Exclude<Sent, { result: AppendManyResult }>,
  ): Promise<AppendManyResult> {
    const outcomes: AppendOutcome[] = [];
    for (const [i, chunk] of sent.chunks.entries()) {
      let result: TaggedResult;
      try {
        result = await sent.answers[i]!;
      } catch (error) {
        if (error instanceof SourceStopped)
          return { outcomes, fatal: error.error, fatalAtSource: true };
        return { outcomes, fatal: this.session.asError(error) };
      }
      if (result.status === 'OK') {
        for (const uid of appendedUids(result.text, chunk.length))
          outcomes.push({ stored: true, uid });
        continue;
      }
      const fatal = await this.inTurn(() => this.oneByOne(chunk, outcomes, result));
      if (fatal) return { outcomes, fatal };
    }
    return { outcomes, fatal: undefined };
  }

  /** Refused: one by one; a streamed message refused as too large is not read whole again. */
  private async oneByOne(
    chunk: readonly OutgoingMessage[],
    outcomes: AppendOutcome[],
    refusal: TaggedResult,
  ): Promise<ConnectorError | undefined> {
    const oversize = tooLarge(this.session, this.folder, chunk, refusal);
    if (oversize) return void outcomes.push({ stored: false, error: oversize });
    await this.drained();
    for (const message of chunk) {
      const fatal = await appendOne(this.session, this.folder, message, outcomes);
      if (fatal) return fatal;
    }
    return undefined;
  }

  /** The socket, taken from imapflow with the folder selected for writing. */
  private async leased(): Promise<SocketLease | undefined> {
    if (this.lease) return this.lease;
    await selectForAppend(this.session, this.folder);
    const parser = new FetchResponseParser((tag) => this.waiting.has(tag), {
      onFetch: () => undefined, // flag changes of the target folder: not ours to follow
      onExpunge: () => undefined,
      onTagged: (result, rest) => (this.tagged = { result, rest }),
    });
    this.lease = leaseSocket(this.session.client, {
      onData: (chunk) => this.onData(chunk),
      onClose: () => this.fail(connectionGone()),
    });
    if (this.lease) this.parser = parser;
    return this.lease;
  }

  private onData(chunk: Buffer): void {
    if (this.held) return void this.held.push(chunk);
    let input = chunk;
    for (;;) {
      try {
        if (this.parser!.push(input)) return;
      } catch (error) {
        this.lease?.destroy();
        this.fail(error as Error);
        return;
      }
      const { result, rest } = this.tagged!;
      this.tagged = undefined;
      const waiting = this.waiting.get(result.tag)!;
      this.waiting.delete(result.tag);
      logAnswer(this.session.logger, result);
      waiting.resolve(result);
      if (this.waiting.size === 0) {
        // Answered before its literal's end (Dovecot refuses too large at once): held till written.
        if (this.writing) this.held = [rest];
        else this.giveBack(rest);
        return;
      }
      input = rest;
    }
  }

  private giveBack(rest: Buffer): void {
    this.lease!.giveBack(rest);
    this.release();
  }

  /** The bytes that came after an APPEND answered before its literal's end, for imapflow. */
  private handBackHeld(): void {
    const held = this.held;
    if (held && this.lease) this.giveBack(Buffer.concat(held));
  }

  /** Every command in flight fails alike: the socket is gone or spoke no IMAP. */
  private fail(error: Error): void {
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
    this.release();
  }

  private release(): void {
    this.lease = undefined;
    this.parser = undefined;
    this.held = undefined;
    for (const wake of this.idle.splice(0)) wake();
  }

  /** Once every step asked for is written and answered, and imapflow has its socket back. */
  async settled(): Promise<void> {
    for (;;) {
      const turn = this.turn;
      await turn;
      await this.drained();
      if (this.turn === turn && !this.lease) return;
    }
  }

  /** Resolves once no pipelined command is in flight and imapflow has its socket back. */
  private drained(): Promise<void> {
    if (!this.lease) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
