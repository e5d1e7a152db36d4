/**
 * The archive's codec for sources with attachments (issue 30, item 2). Most of a mailbox's
 * bytes are base64 attachments of files that are compressed already (JPEG, ZIP, PDF): Brotli
 * spends 3.3 ms per MB on them to win back only base64's own overhead. This codec keeps each
 * canonical base64 run as the bytes it encodes (decoding is ten times cheaper), and the rest
 * of the message, the skeleton, as Brotli. A run is taken only when encoding its bytes again
 * gives back exactly the lines it came from; anything else stays in the skeleton.
 *
 * Stored form (codec 1), big-endian u32 fields:
 *   skeleton length, run count,
 *   per run: offset in the skeleton, line width, encoded length (with CRLFs), stored length,
 *            1 when the stored bytes are Brotli (a run of compressible bytes) else 0,
 *   the skeleton's Brotli bytes, then each run's stored bytes.
 */
import { brotliDecompressSync } from 'node:zlib';

/** The whole source as one Brotli stream (every archive before this codec). */
export const CODEC_BROTLI = 0;
/** Base64 runs as their bytes, the rest as Brotli (base64-runs.ts). */
export const CODEC_BASE64_RUNS = 1;

/** A source as the archive stores it. */
export interface PackedSource {
  compressed: Buffer;
  codec: number;
  /** SHA-256 of the exact source bytes, in hex: the blob's key. */
  sha256: string;
}

const HEADER_FIELDS = 2;
const RUN_FIELDS = 5;

/** A canonical base64 run of a source: where it is, its line width and the bytes it encodes. */
interface Base64Run {
  start: number;
  stop: number;
  width: number;
  bytes: Buffer;
}

/**
 * Packs one source. These functions use only their arguments, Buffer and each other: the
 * packer thread runs them from their source text (PACKING_SOURCE), this thread as they are.
 */
export function packSourceWith(
  raw: Uint8Array,
  zlib: typeof import('node:zlib'),
  crypto: typeof import('node:crypto'),
  options: import('node:zlib').BrotliOptions,
): { compressed: Uint8Array; codec: number; sha256: string } {
  const source = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const sha256 = crypto.createHash('sha256').update(source).digest('hex');
  const runs = findBase64Runs(source);
  if (runs.length === 0)
    return { compressed: zlib.brotliCompressSync(source, options), codec: 0, sha256 };
  return { compressed: packRuns(source, runs, zlib, options), codec: 1, sha256 };
}

/** The canonical base64 runs of a source, in order. */
function findBase64Runs(source: Buffer): Base64Run[] {
  // Runs start after an empty line (a MIME part's body); inside a run there is none, so
  // the search jumps over it.
  const runs: Base64Run[] = [];
  for (let blank = source.indexOf('\r\n\r\n'); blank >= 0; ) {
    const run = base64RunAt(source, blank + 4);
    if (run) runs.push(run);
    blank = source.indexOf('\r\n\r\n', run ? run.stop - 2 : blank + 4);
  }
  return runs;
}

/**
 * A canonical base64 run starting at `start`: full lines of one width (a multiple of 4), each
 * ending in CRLF, then at most one shorter line, whose bytes encode back to exactly those lines.
 */
function base64RunAt(source: Buffer, start: number): Base64Run | undefined {
  // Runs shorter than this stay in the skeleton: their header fields would cost more.
  const MIN_RUN_CHARS = 4096;
  const firstEnd = source.indexOf('\r\n', start);
  const width = firstEnd - start;
  if (firstEnd < 0 || width < 4 || width > 996 || width % 4 !== 0) return undefined;
  const line = width + 2;
  if (source[firstEnd + line] !== 13 || source[firstEnd + line + 1] !== 10) return undefined;
  // '-' is outside the base64 alphabet: a MIME boundary ends the run at the latest.
  const dash = source.indexOf(0x2d, start);
  const limit = dash < 0 ? source.length : dash;
  let stop = start;
  while (stop + line <= limit && source[stop + width] === 13 && source[stop + width + 1] === 10)
    stop += line;
  const tail = source.indexOf('\r\n', stop);
  if (tail > stop && tail + 2 <= limit && tail - stop < width && (tail - stop) % 4 === 0)
    stop = tail + 2;
  if (stop - start < MIN_RUN_CHARS) return undefined;
  const bytes = canonicalBytes(source, start, stop, width);
  return bytes && { start, stop, width, bytes };
}

/** The bytes the lines between start and stop encode, or undefined unless they are canonical. */
function canonicalBytes(
  source: Buffer,
  start: number,
  stop: number,
  width: number,
): Buffer | undefined {
  const CHUNK_LINES = 512;
  const line = width + 2;
  const bytes = Buffer.allocUnsafe(Math.ceil((stop - start) / line) * (width / 4) * 3);
  let length = 0;
  // Decoded and checked a few hundred lines at a time: strings of a whole attachment would
  // sit in the thread's heap until a full collection (100 MB more at the peak, measured).
  for (let from = start; from < stop; from += CHUNK_LINES * line) {
    const text = source.toString('latin1', from, Math.min(from + CHUNK_LINES * line, stop));
    const written = bytes.write(text, length, 'base64');
    // Node's decoder skips what is not base64; encoding again tells a canonical run.
    if (bytes.toString('base64', length, length + written) !== text.replaceAll('\r\n', ''))
      return undefined;
    length += written;
  }
  return bytes.subarray(0, length);
}

/** The codec-1 form of a source with runs (the layout at the top of this file). */
function packRuns(
  source: Buffer,
  runs: readonly Base64Run[],
  zlib: typeof import('node:zlib'),
  options: import('node:zlib').BrotliOptions,
): Buffer {
  const skeletonParts: Buffer[] = [];
  // 2 header fields and 5 per run (HEADER_FIELDS and RUN_FIELDS, which are not in reach here).
  const header = Buffer.alloc(4 * (2 + 5 * runs.length));
  const stored: Buffer[] = [];
  let previous = 0;
  let skeletonLength = 0;
  let field = 2;
  for (const run of runs) {
    skeletonParts.push(source.subarray(previous, run.start));
    skeletonLength += run.start - previous;
    previous = run.stop;
    const [bytes, compressed] = storedRunBytes(run.bytes, zlib, options);
    stored.push(bytes);
    for (const value of [skeletonLength, run.width, run.stop - run.start, bytes.length, compressed])
      header.writeUInt32BE(value, 4 * field++);
  }
  skeletonParts.push(source.subarray(previous));
  const skeleton = zlib.brotliCompressSync(Buffer.concat(skeletonParts), options);
  header.writeUInt32BE(skeleton.length, 0);
  header.writeUInt32BE(runs.length, 4);
  return Buffer.concat([header, skeleton, ...stored]);
}

/**
 * A run's bytes as stored, and 1 when that is Brotli. The first 64 KB are tried: only bytes
 * they show compressible (text or office files sent as base64) are compressed whole.
 */
function storedRunBytes(
  bytes: Buffer,
  zlib: typeof import('node:zlib'),
  options: import('node:zlib').BrotliOptions,
): [Buffer, number] {
  const SAMPLE_BYTES = 65536;
  const sample = zlib.brotliCompressSync(bytes.subarray(0, SAMPLE_BYTES), options);
  if (sample.length >= 0.9 * Math.min(SAMPLE_BYTES, bytes.length)) return [bytes, 0];
  const whole = zlib.brotliCompressSync(bytes, options);
  return whole.length < bytes.length ? [whole, 1] : [bytes, 0];
}

/**
 * The packing functions' source text, for the packer thread; `packSourceWith` keeps its name
 * there (a bundler may rename it, consistently in all of them).
 */
export const PACKING_SOURCE = [
  packSourceWith,
  findBase64Runs,
  base64RunAt,
  canonicalBytes,
  packRuns,
  storedRunBytes,
]
  .map(String)
  .join('\n');
export const PACK_FUNCTION_NAME = packSourceWith.name;

/**
 * The source a codec-1 blob stores, no larger than `size` bytes.
 * @throws when the blob is not a well-formed codec-1 blob of that size (damage).
 */
export function unpackBase64Runs(stored: Buffer, size: number): Buffer {
  const u32 = (field: number): number => stored.readUInt32BE(4 * field);
  const runCount = u32(1);
  let offset = 4 * (HEADER_FIELDS + RUN_FIELDS * runCount);
  if (offset > stored.length) throw new Error('the header is cut short');
  const skeleton = brotliDecompressSync(stored.subarray(offset, (offset += u32(0))), {
    maxOutputLength: size + 1,
  });
  const out = new Rebuilt(size);
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
  if (offset !== stored.length || out.written !== size) throw new Error('its parts do not add up');
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
