/**
 * A batch copied from the source's FETCH straight into the destination's MULTIAPPEND (issue
 * 30, item 1; mbsync's way): each body's `{n}` opens one message of a command on the target's
 * leased socket, and its bytes are written there as they arrive. The literal's length is the
 * FETCH's own, so no announced size can be wrong; nothing is held whole, and the source is
 * read no faster than the target takes it.
 *
 * Faults: a source cut mid-command destroys the target's socket, and the server stores nothing
 * of an unfinished APPEND; a command the target refuses stored nothing (RFC 3502). Either way
 * the caller stores those messages another way or leaves them to their intents.
 */
import type { ConnectorError } from '../errors.js';
import { abortedError } from '../sleep.js';
import {
  appendedUids,
  MULTIAPPEND_MAX_BYTES,
  MULTIAPPEND_MAX_MESSAGES,
  selectForAppend,
  storableFlags,
} from './append.js';
import { nextTag } from './borrow-socket.js';
import { withCommandDeadline } from './command-deadline.js';
import { appendedMessageHead, appendLine } from './command-line.js';
import type { TaggedResult } from './fetch-response-parser.js';
import { encodeMailboxName, imapDateTime } from './mailbox-name.js';
import type { Session } from './open-session.js';
import { letGoRing, takeRing, type ByteRing } from './byte-ring.js';
import { PAUSE_ABOVE, PipedFetch } from './piped-fetch.js';
import { SEND_BUFFER_BYTES, TargetWriter } from './target-writer.js';

/** A message to copy: its UID at the source, and what its APPEND carries besides the bytes. */
export interface PipedMessage {
  uid: number;
  flags: readonly string[];
  internalDate: Date | undefined;
  /** RFC822.SIZE: only to keep over-APPENDLIMIT messages out (the literal gives the length). */
  size: number;
}

export interface PipeResult {
  /** Source UID -> the copy's UID at the destination (undefined when the server did not say). */
  stored: Map<number, number | undefined>;
  /** Messages of commands the destination refused: none of them stored. */
  refused: number[];
  /**
   * Why the copy stopped (the source's or the destination's connection, an abort), and the
   * messages known not stored (never sent, or in the command cut off); the rest of those
   * asked for is unknown.
   */
  fatal?: { error: unknown; atSource: boolean; unsent: number[] };
}

/** A PipeResult whose fatal error is named for its side (what a FolderSink's pipe gives). */
export interface NamedPipeResult extends Omit<PipeResult, 'fatal'> {
  fatal?: { error: ConnectorError; atSource: boolean; unsent: number[] };
}

/**
 * A pipe whose source FETCH has ended, so the source session is free; the destination may
 * still be answering its last commands.
 */
export interface Pipe<R = PipeResult> {
  /** The writes stopped early (a fault, an abort): `answered` comes at once and has `fatal`. */
  stopped: boolean;
  /** Once every command written is answered: what became of the messages. */
  answered: Promise<R>;
}

/** A pipe's commands so far: each with its messages and answer; those written to their end. */
interface Copy {
  commands: { uids: number[]; answer: Promise<TaggedResult> }[];
  /** Messages in commands written to their end: the destination may hold them. */
  ended: Set<number>;
  /** A command is being written: cut off, it stores nothing. */
  open: boolean;
}

// What may be in flight (received and not yet taken, then in the target's send buffer), a
// socket read over each, and the framing between bodies: 2.3 MB at most in the bench's runs.
const RING_BYTES = PAUSE_ABOVE + SEND_BUFFER_BYTES + 1024 * 1024;

// Messages piped by this process: the tests see that the path is taken.
let pipedSoFar = 0;
export function pipedMessagesSoFar(): number {
  return pipedSoFar;
}

/**
 * The pipes of one destination folder. Each copies messages from the source's selected
 * folder; the target's socket stays leased from one to the next, so a pipe's commands go out
 * while the one before is still being answered. settled() hands the socket back to imapflow.
 */
export class PipedAppends {
  private writer: TargetWriter | undefined;
  private ring: ByteRing | undefined;
  private permanent: ReadonlySet<string> | undefined;
  // The last pipe's answers; it never rejects (a failure is its result's).
  private answering: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: Session,
    private readonly folder: string,
  ) {}

  /**
   * Copies `messages`; resolves once the source's FETCH has ended. What is neither stored nor
   * refused was not sent (the source did not give it, APPENDLIMIT, or a fault): the caller
   * decides. Never throws past selecting the folder.
   */
  async pipe(source: Session, messages: readonly PipedMessage[]): Promise<Pipe> {
    const { target } = this;
    const outcome: PipeResult = { stored: new Map(), refused: [] };
    const done = (): Pipe => ({ stopped: false, answered: Promise.resolve(outcome) });
    const limit = target.client.capabilities.get('APPENDLIMIT');
    const byUid = new Map(
      messages
        .filter((message) => typeof limit !== 'number' || message.size <= limit)
        .map((message) => [message.uid, message]),
    );
    if (byUid.size === 0) return done();
    const writer = await this.writerNow();
    if (!writer) return done();
    const fetch = PipedFetch.start(source, [...byUid.keys()], this.ringNow());
    if (!fetch) return done();
    const copy: Copy = { commands: [], ended: new Set(), open: false };
    try {
      await this.writeCommands(source, writer, fetch, byUid, copy);
    } catch (error) {
      const atSource = !writer.failed;
      if (atSource && copy.open) writer.destroy();
      else fetch.abort();
      const unsent = [...byUid.keys()].filter((uid) => !copy.ended.has(uid));
      outcome.fatal = { error, atSource, unsent };
      // Slices of it may never be written: a new ring for the next pipe.
      this.ring = undefined;
    }
    const answered = collect(target, copy.commands, outcome).then(() => outcome);
    this.answering = answered;
    return { stopped: outcome.fatal !== undefined, answered };
  }

  /** Each body the FETCH gives into a MULTIAPPEND, commands bounded by count and bytes. */
  private async writeCommands(
    source: Session,
    writer: TargetWriter,
    fetch: PipedFetch,
    byUid: ReadonlyMap<number, PipedMessage>,
    copy: Copy,
  ): Promise<void> {
    let body = await fetch.next();
    while (body) {
      if (source.signal?.aborted) throw abortedError();
      const tag = nextTag();
      const uids: number[] = [];
      copy.commands.push({ uids, answer: writer.expect(tag) });
      const line = appendLine(tag, encodeMailboxName(this.folder));
      this.target.logger.debug({ src: 'connector:c', msg: `${line} (piped, LITERAL+)` });
      writer.write(line);
      copy.open = true;
      // A command's bounds are a MULTIAPPEND's (append.ts): a refusal undoes all of it.
      let bytes = 0;
      while (
        body &&
        uids.length < MULTIAPPEND_MAX_MESSAGES &&
        (bytes === 0 || bytes + body.size <= MULTIAPPEND_MAX_BYTES)
      ) {
        await this.writeMessage(source, writer, fetch, byUid.get(body.uid)!, body.size);
        uids.push(body.uid);
        bytes += body.size;
        body = await fetch.next();
      }
      writer.write('\r\n');
      copy.open = false;
      for (const uid of uids) copy.ended.add(uid);
    }
  }

  /** One message of a command: its flags, date and literal length, then its bytes as they come. */
  private async writeMessage(
    source: Session,
    writer: TargetWriter,
    fetch: PipedFetch,
    message: PipedMessage,
    size: number,
  ): Promise<void> {
    const date = message.internalDate ? imapDateTime(message.internalDate) : undefined;
    writer.write(appendedMessageHead(storableFlags(message, this.permanent), date, size));
    for (let chunk = await fetch.read(); chunk; chunk = await fetch.read()) {
      // Ctrl-C cuts a message off (the rest of one of any size would be read first).
      if (source.signal?.aborted) throw abortedError();
      await writer.flowing();
      writer.write(chunk.bytes, chunk.written);
    }
    pipedSoFar++;
  }

  private ringNow(): ByteRing {
    this.ring ??= takeRing(RING_BYTES);
    return this.ring;
  }

  /** The leased socket, with the folder selected for writing; a new lease after a failure. */
  private async writerNow(): Promise<TargetWriter | undefined> {
    if (this.writer && !this.writer.failed) return this.writer;
    this.writer = undefined;
    await selectForAppend(this.target, this.folder);
    const mailbox = this.target.client.mailbox;
    this.permanent = mailbox ? mailbox.permanentFlags : undefined;
    const writer = new TargetWriter(this.target);
    if (!writer.open()) return undefined;
    this.writer = writer;
    return writer;
  }

  /** Once every command written is answered, the socket back with imapflow. */
  async settled(): Promise<void> {
    await this.answering;
    if (this.ring) letGoRing(this.ring);
    this.ring = undefined;
    this.writer?.close();
    this.writer = undefined;
  }
}

/** The answers of the commands written, in order; one that never came leaves the rest unknown. */
async function collect(
  target: Session,
  commands: readonly { uids: number[]; answer: Promise<TaggedResult> }[],
  outcome: PipeResult,
): Promise<void> {
  for (const { uids, answer } of commands) {
    let result: TaggedResult;
    try {
      result = await withCommandDeadline(target, 'APPEND', () => answer, {
        abortable: false,
        sent: true,
      });
    } catch (error) {
      outcome.fatal ??= { error, atSource: false, unsent: [] };
      return;
    }
    if (result.status !== 'OK') {
      outcome.refused.push(...uids);
      continue;
    }
    const copies = appendedUids(result.text, uids.length);
    uids.forEach((uid, i) => outcome.stored.set(uid, copies[i]));
  }
}
