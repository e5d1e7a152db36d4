/**
 * MULTIAPPEND without waiting (RFC 3502 + LITERAL+, RFC 7888): the messages of one import step
 * go as non-synchronizing literals on the session's own socket, the next step possibly before
 * this one is answered. imapflow keeps one command in flight and awaits "+" before every literal
 * over 4 KB, a round trip per message: the import was 40% idle (docs/performance.md).
 */
import type { ConnectorError } from '../errors.js';
import {
  appendMany,
  appendOne,
  nextChunk,
  selectForAppend,
  storableFlags,
  type AppendManyResult,
  type AppendOutcome,
  type OutgoingMessage,
} from './append.js';
import { connectionGone, leaseSocket, nextTag, type SocketLease } from './borrow-socket.js';
import { withCommandDeadline } from './command-deadline.js';
import { appendedMessageHead, appendLine } from './command-line.js';
import { FetchResponseParser, type TaggedResult } from './fetch-response-parser.js';
import { isCompressed } from './imapflow-internals.js';
import { encodeMailboxName, imapDateTime } from './mailbox-name.js';
import type { Session } from './open-session.js';
import { expandUidSet } from './uid-set.js';

interface Waiting {
  resolve(result: TaggedResult): void;
  reject(error: Error): void;
}

/** What send() has written: the answer of each chunk, in order; or, sent another way, the result. */
type Sent =
  | { chunks: OutgoingMessage[][]; answers: Promise<TaggedResult>[] }
  | { result: AppendManyResult };

const APPENDUID = /^\[APPENDUID \d+ ([\d:,]+)\]/i;

/** Whether a server takes pipelined MULTIAPPEND: both extensions, and a socket that can be lent. */
export function canPipelineAppends(session: Session): boolean {
  const capabilities = session.client.capabilities;
  return (
    capabilities.has('MULTIAPPEND') && capabilities.has('LITERAL+') && !isCompressed(session.client)
  );
}

/**
 * The APPENDs of one destination folder, in order. send() writes a step's MULTIAPPEND commands
 * at once and returns their outcomes when answered; steps sent one after the other are
 * answered in that order. A step that cannot go this way (no MULTIAPPEND or LITERAL+, a
 * message with NUL or over APPENDLIMIT) and a MULTIAPPEND the server refused (it then stored
 * none of it, RFC 3502) go through appendMany/appendOne once nothing else is in flight, so the
 * one at fault is found and the rest stored.
 */
export class AppendPipeline {
  private lease: SocketLease | undefined;
  private parser: FetchResponseParser | undefined;
  private tagged: { result: TaggedResult; rest: Buffer } | undefined;
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

  /** Writes the messages as MULTIAPPEND commands, or stores them one by one when they cannot go so. */
  private async write(messages: readonly OutgoingMessage[]): Promise<Sent> {
    const chunks = this.chunksOf(messages);
    const lease = chunks && (await this.leased());
    if (!chunks || !lease) return { result: await this.serially(messages) };
    const mailbox = this.session.client.mailbox;
    const permanent = mailbox ? mailbox.permanentFlags : undefined;
    const answers = chunks.map((chunk) => {
      const tag = nextTag();
      const answer = new Promise<TaggedResult>((resolve, reject) =>
        this.waiting.set(tag, { resolve, reject }),
      );
      const line = appendLine(tag, encodeMailboxName(this.folder));
      lease.together(() => {
        lease.write(line);
        for (const message of chunk) {
          const date = message.internalDate ? imapDateTime(message.internalDate) : undefined;
          lease.write(
            appendedMessageHead(storableFlags(message, permanent), date, message.raw.length),
          );
          lease.write(message.raw);
        }
        lease.write('\r\n');
      });
      this.session.logger.debug({
        src: 'connector:c',
        msg: `${line} (${chunk.length} messages, LITERAL+)`,
      });
      const deadlined = withCommandDeadline(this.session, 'APPEND', () => answer, {
        abortable: false,
        sent: true,
      });
      deadlined.catch(() => undefined); // collected in order; a later one may fail first
      return deadlined;
    });
    return { chunks, answers };
  }

  /** The MULTIAPPEND commands for these messages; undefined when one of them cannot go in one. */
  private chunksOf(messages: readonly OutgoingMessage[]): OutgoingMessage[][] | undefined {
    if (!canPipelineAppends(this.session)) return undefined;
    const chunks: OutgoingMessage[][] = [];
    for (let i = 0; i < messages.length; ) {
      const chunk = nextChunk(this.session, messages, i);
      if (chunk.length === 0) return undefined;
      chunks.push(chunk);
      i += chunk.length;
    }
    return chunks;
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
        return { outcomes, fatal: this.session.asError(error) };
      }
      if (result.status === 'OK') {
        const uids = expandUidSet(APPENDUID.exec(result.text)?.[1] ?? '');
        chunk.forEach((_, j) =>
          outcomes.push({ stored: true, uid: uids.length === chunk.length ? uids[j] : undefined }),
        );
        continue;
      }
      const fatal = await this.inTurn(() => this.oneByOne(chunk, outcomes));
      if (fatal) return { outcomes, fatal };
    }
    return { outcomes, fatal: undefined };
  }

  private async oneByOne(
    chunk: readonly OutgoingMessage[],
    outcomes: AppendOutcome[],
  ): Promise<ConnectorError | undefined> {
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
      waiting.resolve(result);
      if (this.waiting.size === 0) {
        this.lease!.giveBack(rest);
        this.release();
        return;
      }
      input = rest;
    }
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
