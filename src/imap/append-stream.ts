/**
 * What the APPEND pipeline writes on its leased socket (append-pipeline.ts): which commands a
 * step's messages go in, a MULTIAPPEND of messages held whole in one writev, and the APPEND of
 * a streamed message, written a chunk at a time as its source gives it (issue 30, item 1).
 */
import { makeError, isConnectorError, type ConnectorError } from '../errors.js';
import type { SocketLease } from './borrow-socket.js';
import { withCommandDeadline } from './command-deadline.js';
import { nextChunk, storableFlags, toAppendError, type OutgoingMessage } from './append.js';
import { taggedError, type TaggedResult } from './fetch-response-parser.js';
import { isCompressed } from './imapflow-internals.js';
import { appendedMessageHead } from './command-line.js';
import { imapDateTime } from './mailbox-name.js';
import type { Session } from './open-session.js';
import { isStreamed, STREAM_CHUNK_BYTES, type StreamedBody } from './streamed-body.js';

// Bytes the destination's send buffer may hold before the source is read further: with the
// chunk being read, a streamed message holds about 2 MB here whatever its size.
const SEND_BUFFER_BYTES = STREAM_CHUNK_BYTES;

// APPENDs written from a stream by this process: the tests see that the path is taken.
let streamedAppends = 0;
export function streamedAppendsSoFar(): number {
  return streamedAppends;
}

/** Whether a server takes pipelined MULTIAPPEND: both extensions, and a socket that can be lent. */
export function canPipelineAppends(session: Session): boolean {
  const capabilities = session.client.capabilities;
  return (
    capabilities.has('MULTIAPPEND') && capabilities.has('LITERAL+') && !isCompressed(session.client)
  );
}

/**
 * The commands a step's messages go in: MULTIAPPENDs of messages held whole, a streamed
 * message in an APPEND of its own (whatever APPENDLIMIT says: the server judges it). Undefined
 * when one of them cannot go so (the caller then stores them through imapflow, one by one).
 */
export function appendCommandsOf(
  session: Session,
  messages: readonly OutgoingMessage[],
): OutgoingMessage[][] | undefined {
  if (!canPipelineAppends(session)) return undefined;
  const chunks: OutgoingMessage[][] = [];
  for (let i = 0; i < messages.length; ) {
    const chunk = isStreamed(messages[i]!.raw) ? [messages[i]!] : nextChunk(session, messages, i);
    if (chunk.length === 0) return undefined;
    chunks.push(chunk);
    i += chunk.length;
  }
  return chunks;
}

/**
 * A streamed message the server refused as too large, as its outcome. Tried again one by one
 * like any refused command, it would be read whole into memory to be refused once more.
 */
export function tooLarge(
  session: Session,
  folder: string,
  chunk: readonly OutgoingMessage[],
  result: TaggedResult,
): ConnectorError | undefined {
  const raw = chunk[0]?.raw;
  if (chunk.length !== 1 || !raw || !isStreamed(raw) || result.status === 'OK') return undefined;
  const error = toAppendError(taggedError('APPEND', result), session, folder, raw.size);
  return error.code === 'MESSAGE_TOO_LARGE' ? error : undefined;
}

/**
 * Writes one MULTIAPPEND command (LITERAL+) of messages held whole, in one writev; or one
 * APPEND of a streamed message, which always goes alone (nextChunk).
 * @throws as writeStreamedAppend
 */
export async function writeAppendCommand(
  lease: SocketLease,
  session: Session,
  line: string,
  chunk: readonly OutgoingMessage[],
  permanent: ReadonlySet<string> | undefined,
): Promise<void> {
  const dateOf = (message: OutgoingMessage): string | undefined =>
    message.internalDate ? imapDateTime(message.internalDate) : undefined;
  const first = chunk[0]!;
  session.logger.debug({ src: 'connector:c', msg: `${line} (${chunk.length} messages, LITERAL+)` });
  if (chunk.length === 1 && isStreamed(first.raw)) {
    const flags = storableFlags(first, permanent);
    const head = appendedMessageHead(flags, dateOf(first), first.raw.size);
    await writeStreamedAppend(lease, session, line + head, first.raw);
    return;
  }
  lease.together(() => {
    lease.write(line);
    for (const message of chunk) {
      if (isStreamed(message.raw)) throw new Error('A streamed message goes in an APPEND alone.');
      const flags = storableFlags(message, permanent);
      lease.write(appendedMessageHead(flags, dateOf(message), message.raw.length));
      lease.write(message.raw);
    }
    lease.write('\r\n');
  });
}

/**
 * Writes one APPEND whose literal is a streamed message: the command line and the literal's
 * length (known exactly before the first byte), then each chunk as the source gives it, the
 * source read no faster than the destination takes it. A literal once begun cannot be taken
 * back, so when the source fails midway the caller must destroy the destination's socket: the
 * server then stores nothing of the unfinished APPEND.
 * @throws SourceStopped when the source could not give a chunk; else the destination's stall
 *   (SOCKET_TIMEOUT) while waiting to write.
 */
export async function writeStreamedAppend(
  lease: SocketLease,
  session: Session,
  command: string,
  body: StreamedBody,
): Promise<void> {
  lease.together(() => {
    lease.write(command);
    lease.write(body.head);
  });
  for (let offset = body.head.length; offset < body.size; ) {
    const length = Math.min(STREAM_CHUNK_BYTES, body.size - offset);
    await withCommandDeadline(session, 'APPEND', () => lease.flowing(SEND_BUFFER_BYTES), {
      abortable: false,
      sent: true,
    });
    let chunk: Buffer;
    try {
      chunk = await body.read(offset, length);
    } catch (error) {
      throw new SourceStopped(error);
    }
    lease.write(chunk);
    offset += length;
  }
  lease.write('\r\n');
  streamedAppends++;
}

/**
 * The source failed while a message streamed to the destination: the source's own error
 * (its side, its retry advice), so the import reconnects as for any lost source session.
 */
export class SourceStopped extends Error {
  readonly error: ConnectorError;
  constructor(cause: unknown) {
    super('The source stopped sending a message while it was being stored.');
    this.error = isConnectorError(cause)
      ? cause
      : makeError('CONNECTION_LOST', this.message, { cause });
  }
}
