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
import { selectForAppend, storableFlags } from './append.js';
import { connectionGone, leaseSocket, nextTag, type SocketLease } from './borrow-socket.js';
import { withCommandDeadline } from './command-deadline.js';
import { appendedMessageHead, appendLine } from './command-line.js';
import { FetchResponseParser, logAnswer, type TaggedResult } from './fetch-response-parser.js';
import { encodeMailboxName, imapDateTime } from './mailbox-name.js';
import type { Session } from './open-session.js';
import { PipedFetch } from './piped-fetch.js';
import { expandUidSet } from './uid-set.js';

// One MULTIAPPEND's bounds, as append.ts's: a refusal undoes the whole command (RFC 3502).
const COMMAND_MAX_MESSAGES = 100;
const COMMAND_MAX_BYTES = 8 * 1024 * 1024;
// Bytes the target's send buffer may hold before the source is read further.
const SEND_BUFFER_BYTES = 4 * 1024 * 1024;
const APPENDUID = /^\[APPENDUID \d+ ([\d:,]+)\]/i;

/** A message to copy: its UID at the source, and what its APPEND carries besides the bytes. */
export interface PipedMessage {
  uid: number;
  flags: readonly string[];
  internalDate: Date | undefined;
  /** RFC822.SIZE: only to keep over-APPENDLIMIT messages out (the literal gives the length). */
  size: number;
}

export interface PipeOutcome {
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

/** A PipeOutcome whose fatal error is named for its side (what a FolderSink's pipe returns). */
export interface NamedPipeOutcome extends Omit<PipeOutcome, 'fatal'> {
  fatal?: { error: ConnectorError; atSource: boolean; unsent: number[] };
}

// Messages piped by this process: the tests see that the path is taken.
let pipedSoFar = 0;
export function pipedMessagesSoFar(): number {
  return pipedSoFar;
}

/**
 * Copies `messages` from the source's selected folder into `folder` at the target. What is
 * neither stored nor refused was not sent (the source did not give it, APPENDLIMIT, or a
 * fault): the caller decides. Never throws past selecting the folder.
 */
export async function pipeAppends(
  source: Session,
  target: Session,
  folder: string,
  messages: readonly PipedMessage[],
): Promise<PipeOutcome> {
  const outcome: PipeOutcome = { stored: new Map(), refused: [] };
  const limit = target.client.capabilities.get('APPENDLIMIT');
  const byUid = new Map(
    messages
      .filter((message) => typeof limit !== 'number' || message.size <= limit)
      .map((message) => [message.uid, message]),
  );
  if (byUid.size === 0) return outcome;
  await selectForAppend(target, folder);
  const permanent = target.client.mailbox ? target.client.mailbox.permanentFlags : undefined;
  const writer = new TargetWriter(target);
  if (!writer.open()) return outcome;
  const fetch = PipedFetch.start(source, [...byUid.keys()]);
  if (!fetch) {
    writer.close();
    return outcome;
  }
  const commands: { uids: number[]; answer: Promise<TaggedResult> }[] = [];
  // Messages in commands written to their end: the destination may hold them.
  const ended = new Set<number>();
  let open = false;
  try {
    let body = await fetch.next();
    while (body) {
      if (source.signal?.aborted) throw abortedError();
      const tag = nextTag();
      const uids: number[] = [];
      commands.push({ uids, answer: writer.expect(tag) });
      const line = appendLine(tag, encodeMailboxName(folder));
      target.logger.debug({ src: 'connector:c', msg: `${line} (piped, LITERAL+)` });
      writer.write(line);
      open = true;
      let bytes = 0;
      while (
        body &&
        uids.length < COMMAND_MAX_MESSAGES &&
        (bytes === 0 || bytes + body.size <= COMMAND_MAX_BYTES)
      ) {
        const message = byUid.get(body.uid)!;
        const date = message.internalDate ? imapDateTime(message.internalDate) : undefined;
        writer.write(appendedMessageHead(storableFlags(message, permanent), date, body.size));
        for (let chunk = await fetch.read(); chunk; chunk = await fetch.read()) {
          // Ctrl-C cuts a message off (the rest of one of any size would be read first).
          if (source.signal?.aborted) throw abortedError();
          await writer.flowing();
          writer.write(chunk);
        }
        uids.push(body.uid);
        bytes += body.size;
        pipedSoFar++;
        body = await fetch.next();
      }
      writer.write('\r\n');
      open = false;
      for (const uid of uids) ended.add(uid);
    }
  } catch (error) {
    const atSource = !writer.failed;
    if (atSource && open) writer.destroy();
    else fetch.abort();
    const unsent = [...byUid.keys()].filter((uid) => !ended.has(uid));
    outcome.fatal = { error, atSource, unsent };
  }
  await collect(target, commands, outcome);
  writer.close();
  return outcome;
}

/** The answers of the commands written, in order; one that never came leaves the rest unknown. */
async function collect(
  target: Session,
  commands: readonly { uids: number[]; answer: Promise<TaggedResult> }[],
  outcome: PipeOutcome,
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
    const copies = expandUidSet(APPENDUID.exec(result.text)?.[1] ?? '');
    uids.forEach((uid, i) =>
      outcome.stored.set(uid, copies.length === uids.length ? copies[i] : undefined),
    );
  }
}

/** The target's socket for the pipe: commands written, their tagged answers matched by tag. */
class TargetWriter {
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

  write(data: string | Buffer): void {
    this.lease?.write(data);
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
