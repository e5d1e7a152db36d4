/**
 * Reads a codec-1 blob (base64-runs.ts) back into the exact source: the skeleton's Brotli,
 * each run's bytes encoded again into the lines they came from. A damaged blob is hostile
 * input: nothing grows past the size the source was recorded with, and the parts must add up.
 */
import { brotliDecompressSync } from 'node:zlib';
import { HEADER_FIELDS, RUN_FIELDS } from './base64-runs.js';

/**
 * The source a codec-1 blob stores, no larger than `size` bytes.
 * @throws when the blob is not a well-formed codec-1 blob of that size (damage).
 */
export function unpackBase64Runs(stored: Buffer, size: number): Buffer {
  const u32 = (field: number): number => stored.readUInt32BE(4 * field);
  const runCount = u32(1);
  const runsStart = 4 * (HEADER_FIELDS + RUN_FIELDS * runCount);
  let skeletonStart = runsStart;
  for (let run = 0; run < runCount; run++)
    skeletonStart += u32(HEADER_FIELDS + RUN_FIELDS * run + 3);
  if (skeletonStart + u32(0) !== stored.length) throw new Error('its parts do not add up');
  const skeleton = brotliDecompressSync(stored.subarray(skeletonStart), {
    maxOutputLength: size + 1,
  });
  const out = new Rebuilt(size);
  let offset = runsStart;
  let taken = 0;
  for (let run = 0; run < runCount; run++) {
    const field = HEADER_FIELDS + RUN_FIELDS * run;
    const at = u32(field);
    const width = u32(field + 1);
    const encodedLength = u32(field + 2);
    if (at < taken || at > skeleton.length || width === 0) throw new Error('a run is misplaced');
    out.put(skeleton, taken, at);
    taken = at;
    const body = stored.subarray(offset, (offset += u32(field + 3)));
    const bytes = u32(field + 4)
      ? brotliDecompressSync(body, { maxOutputLength: encodedLength })
      : body;
    const end = out.written + encodedLength;
    out.putBase64Lines(bytes, width);
    if (out.written !== end) throw new Error('a run does not decode to its recorded length');
  }
  out.put(skeleton, taken, skeleton.length);
  if (out.written !== size) throw new Error('it is shorter than recorded');
  return out.bytes;
}

const CRLF = Buffer.from('\r\n');

/** A source being rebuilt, never past the size it was recorded with. */
class Rebuilt {
  readonly bytes: Buffer;
  written = 0;

  constructor(private readonly size: number) {
    this.bytes = Buffer.allocUnsafe(size);
  }

  put(from: Buffer, start: number, end: number): void {
    if (end < start || this.written + end - start > this.size)
      throw new Error('it is longer than recorded');
    this.written += from.copy(this.bytes, this.written, start, end);
  }

  /** Bytes as base64 lines of `width` characters, each ending in CRLF. */
  putBase64Lines(bytes: Buffer, width: number): void {
    // Encoded a few hundred lines at a time, as canonicalBytes decodes them.
    const chunk = (width / 4) * 3 * 512;
    for (let from = 0; from < bytes.length; from += chunk) {
      const encoded = Buffer.from(bytes.toString('base64', from, from + chunk), 'latin1');
      for (let at = 0; at < encoded.length; at += width) {
        this.put(encoded, at, Math.min(at + width, encoded.length));
        this.put(CRLF, 0, 2);
      }
    }
  }
}
