import { makeError } from '../errors.js';

/**
 * A message too large to hold whole in an import (issue 30, item 1): the destination's APPEND
 * literal is written from the source a chunk at a time, so memory holds one chunk, not the
 * message. Small messages stay Buffers.
 */

/** The bytes read from the source per partial FETCH while a message streams. */
export const STREAM_CHUNK_BYTES = 1024 * 1024;

/** A message known by its exact size and first bytes; the rest is read on demand. */
export interface StreamedBody {
  /** Its exact length in bytes, checked against the source before it is streamed. */
  readonly size: number;
  /** Its first bytes, already read (the dedupe keys come from the header in them). */
  readonly head: Buffer;
  /**
   * Bytes [offset, offset + length) of the message, exactly that many.
   * @throws when the source cannot give exactly them (connection lost, message gone).
   */
  read(offset: number, length: number): Promise<Buffer>;
}

/** A message's bytes: whole, or streamed. */
export type MessageBytes = Buffer | StreamedBody;

export function isStreamed(bytes: MessageBytes): bytes is StreamedBody {
  return !Buffer.isBuffer(bytes);
}

export function byteLength(bytes: MessageBytes): number {
  return isStreamed(bytes) ? bytes.size : bytes.length;
}

/**
 * The bytes of a message for a destination that did not declare streamsLargeSources, which is
 * never given a stream.
 * @throws INTERNAL when it is one all the same
 */
export function heldBytes(bytes: MessageBytes): Buffer {
  if (isStreamed(bytes))
    throw makeError('INTERNAL', 'A streamed message reached a destination that cannot stream.');
  return bytes;
}

/**
 * The whole message in memory: for the rare paths that cannot stream (a destination without
 * LITERAL+, a refused APPEND tried again alone).
 */
export async function wholeBytes(bytes: MessageBytes): Promise<Buffer> {
  if (!isStreamed(bytes)) return bytes;
  const parts = [bytes.head];
  for (let offset = bytes.head.length; offset < bytes.size; ) {
    const length = Math.min(STREAM_CHUNK_BYTES, bytes.size - offset);
    parts.push(await bytes.read(offset, length));
    offset += length;
  }
  return Buffer.concat(parts, bytes.size);
}
