/**
 * Messages larger than a read batch, streamed from the source into the destination's APPEND
 * (issue 30, item 1): a message of 20 MB held 20 MB two or three times over (the batch being
 * stored, the next one read meanwhile, the last step in flight); streamed, it holds a chunk.
 *
 * The destination's literal length must be known before its first byte, and a literal once
 * begun cannot be taken back. So before a message streams, its first chunk is read (the
 * dedupe keys come from the header in it, and its intent is written from them) and its size
 * is checked exact: RFC822.SIZE is a server's word, and a 2-byte read at its last byte proves
 * it. A message that cannot be known so (no Message-ID within the first chunk, another size
 * than announced, dedupe by content) is read whole, as any other.
 */
import { fetchMessages } from '../imap/fetch-messages.js';
import type { BulkMessage } from '../imap/fetch-response-parser.js';
import { STREAM_CHUNK_BYTES, type StreamedBody } from '../imap/streamed-body.js';
import type { Session } from '../imap/open-session.js';
import { identifyHead, type MessageIdentity } from '../write/message-identity.js';
import type { FolderRun } from './folder-run.js';
import { READ_WHOLE } from './job-state.js';

/** A fetched message; a streamed one carries its first chunk as `source`, and the rest to read. */
export type ImportedMessage = BulkMessage & {
  streamed?: { body: StreamedBody; identity: MessageIdentity };
};

/**
 * The size above which a message streams: larger than a read batch (`budget`), when the
 * destination streams and dedupe goes by Message-ID with no content hash needed. Undefined
 * when nothing streams.
 */
export function streamAbove(run: FolderRun, budget: number): number | undefined {
  const { sink, mode } = run.job;
  const streams =
    sink.streamsLargeSources === true &&
    sink.contentHashOptionalWithId === true &&
    mode === 'message-id';
  return streams ? Math.max(budget, STREAM_CHUNK_BYTES) : undefined;
}

/**
 * A message to stream: its flags, date and size, its first chunk, and a reader of the rest;
 * or undefined when it must be read whole (see above), or its FETCH failed (the whole read
 * then says why).
 */
export async function fetchToStream(
  run: FolderRun,
  uid: number,
): Promise<ImportedMessage | undefined> {
  const { session, state } = run.job;
  if (run.readWhole?.has(uid)) return undefined;
  const { messages } = await fetchMessages(session, [uid], {
    uid: true,
    flags: true,
    internalDate: true,
    size: true,
    source: { start: 0, maxLength: STREAM_CHUNK_BYTES },
  });
  const message = messages[0];
  const head = message?.source;
  const size = message?.size;
  if (!message || !head || size === undefined || size <= head.length) return undefined;
  if (head.length !== STREAM_CHUNK_BYTES) return undefined;
  const identity = identifyHead(head);
  if (!identity) return undefined;
  // The last byte is there and nothing after it: the size is exact.
  const tail = await readRange(session, uid, size - 1, 2);
  if (tail?.length !== 1) return undefined;
  const read = async (offset: number, length: number): Promise<Buffer> => {
    const bytes = await readRange(session, uid, offset, length);
    if (bytes?.length === length) return bytes;
    // The source answered without those bytes (a refusal, a message it cannot read to its
    // end). The unfinished APPEND stores nothing, so its intent goes, and from now on the
    // message is read whole: a refusal of that read fails it alone (readBatch), where
    // streaming it again would fail the attempt, and so the mailbox, every time.
    await state.requeueIntent(run.path, run.uidValidity, uid, READ_WHOLE);
    throw new Error(
      `UID ${uid}: the source gave ${bytes?.length ?? 'no'} bytes at ${offset} instead of ${length}.`,
    );
  };
  return { ...message, streamed: { body: { size, head, read }, identity } };
}

/** Bytes [offset, offset + length) of a message, as many as the source has there. */
async function readRange(
  session: Session,
  uid: number,
  offset: number,
  length: number,
): Promise<Buffer | undefined> {
  const { messages } = await fetchMessages(session, [uid], {
    uid: true,
    source: { start: offset, maxLength: length },
  });
  return messages[0]?.source;
}
