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
 *   each run's stored bytes, then the skeleton's Brotli bytes. Runs come before the skeleton
 *   so that they are decoded straight into the blob, without a buffer of their own.
 */
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

/** u32 fields of a codec-1 blob's header, and per run (the layout above). */
export const HEADER_FIELDS = 2;
export const RUN_FIELDS = 5;

/** A stretch of a source shaped like base64 lines: where it is and its line width. */
interface Base64Span {
  start: number;
  stop: number;
  width: number;
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
  const spans = findBase64Spans(source);
  const compressed = spans.length > 0 ? packRuns(source, spans, zlib, options) : undefined;
  if (compressed) return { compressed, codec: 1, sha256 };
  return { compressed: zlib.brotliCompressSync(source, options), codec: 0, sha256 };
}

/** The stretches of a source shaped like base64 lines, in order; packRuns decides on each. */
function findBase64Spans(source: Buffer): Base64Span[] {
  // Runs start after an empty line (a MIME part's body); inside a run there is none, so
  // the search jumps over it.
  const spans: Base64Span[] = [];
  for (let blank = source.indexOf('\r\n\r\n'); blank >= 0; ) {
    const span = base64SpanAt(source, blank + 4);
    if (span) spans.push(span);
    blank = source.indexOf('\r\n\r\n', span ? span.stop - 2 : blank + 4);
  }
  return spans;
}

/**
 * The stretch starting at `start` of full lines of one width (a multiple of 4), each ending
 * in CRLF, then at most one shorter line: a base64 run when decodeCanonical takes it.
 */
function base64SpanAt(source: Buffer, start: number): Base64Span | undefined {
  // Runs shorter than this stay in the skeleton: their header fields would cost more.
  const MIN_RUN_CHARS = 4096;
  // Each search looks only at the lines it walks: a message of many short blocks (after
  // empty lines) must not be searched to its end once per block.
  const width = source.subarray(start, start + 1000).indexOf('\r\n');
  if (width < 4 || width > 996 || width % 4 !== 0) return undefined;
  const line = width + 2;
  let stop = start;
  while (
    stop + line <= source.length &&
    source[stop + width] === 13 &&
    source[stop + width + 1] === 10
  )
    stop += line;
  // '-' is outside the base64 alphabet: a MIME boundary ends the run at the latest.
  const dash = source.subarray(start, stop).indexOf(0x2d);
  if (dash >= 0) stop = start + Math.floor(dash / line) * line;
  else {
    const next = source.subarray(stop, stop + line);
    const tail = next.indexOf('\r\n');
    if (tail > 0 && tail < width && tail % 4 === 0 && next.subarray(0, tail).indexOf(0x2d) < 0)
      stop += tail + 2;
  }
  return stop - start < MIN_RUN_CHARS ? undefined : { start, stop, width };
}

/**
 * Decodes a span into `out` at `at` when its lines are exactly the canonical encoding of
 * their bytes: the number of bytes, or -1 when they are not (the span stays in the skeleton).
 */
function decodeCanonical(source: Buffer, span: Base64Span, out: Buffer, at: number): number {
  const CHUNK_LINES = 512;
  const chunk = CHUNK_LINES * (span.width + 2);
  let length = 0;
  // Decoded and checked a few hundred lines at a time: strings of a whole attachment would
  // sit in the thread's heap until a full collection (100 MB more at the peak, measured).
  for (let from = span.start; from < span.stop; from += chunk) {
    const text = source.toString('latin1', from, Math.min(from + chunk, span.stop));
    const written = out.write(text, at + length, 'base64');
    // Node's decoder skips what is not base64; encoding again tells a canonical run.
    if (out.toString('base64', at + length, at + length + written) !== text.replaceAll('\r\n', ''))
      return -1;
    length += written;
  }
  return length;
}

/**
 * The codec-1 form of a source (the layout at the top of this file), built in one buffer;
 * undefined when none of the spans is a canonical run.
 */
function packRuns(
  source: Buffer,
  spans: readonly Base64Span[],
  zlib: typeof import('node:zlib'),
  options: import('node:zlib').BrotliOptions,
): Buffer | undefined {
  // Room for every span's header fields, bytes and the skeleton's Brotli (at most a little
  // more than its input); 2 header fields and 5 per run (HEADER_FIELDS, RUN_FIELDS).
  const reserved = 4 * (2 + 5 * spans.length);
  let room = reserved + source.length + (source.length >> 10) + 64;
  for (const span of spans) room -= (span.stop - span.start) >> 2; // bytes are 3/4 of base64
  const out = Buffer.allocUnsafe(room);
  const fields: number[] = [];
  const skeletonParts: Buffer[] = [];
  let previous = 0;
  let skeletonLength = 0;
  let at = reserved;
  for (const span of spans) {
    const length = decodeCanonical(source, span, out, at);
    if (length < 0) continue;
    skeletonParts.push(source.subarray(previous, span.start));
    skeletonLength += span.start - previous;
    previous = span.stop;
    const [stored, compressed] = storeRunInPlace(out, at, length, zlib, options);
    fields.push(skeletonLength, span.width, span.stop - span.start, stored, compressed);
    at += stored;
  }
  if (fields.length === 0) return undefined;
  skeletonParts.push(source.subarray(previous));
  const skeleton = zlib.brotliCompressSync(Buffer.concat(skeletonParts), options);
  const begin = reserved - 4 * (2 + fields.length);
  [skeleton.length, fields.length / 5, ...fields].forEach((value, i) =>
    out.writeUInt32BE(value, begin + 4 * i),
  );
  if (at + skeleton.length > out.length) return Buffer.concat([out.subarray(begin, at), skeleton]);
  skeleton.copy(out, at);
  return out.subarray(begin, at + skeleton.length);
}

/**
 * How a run decoded into `out` is stored: [its stored length, 1 when that is Brotli]. The
 * first 64 KB are tried: only bytes they show compressible (text or office files sent as
 * base64) are compressed whole, in place.
 */
function storeRunInPlace(
  out: Buffer,
  at: number,
  length: number,
  zlib: typeof import('node:zlib'),
  options: import('node:zlib').BrotliOptions,
): [number, number] {
  const SAMPLE_BYTES = 65536;
  const bytes = out.subarray(at, at + length);
  const sample = zlib.brotliCompressSync(bytes.subarray(0, SAMPLE_BYTES), options);
  if (sample.length >= 0.9 * Math.min(SAMPLE_BYTES, length)) return [length, 0];
  const whole = zlib.brotliCompressSync(bytes, options);
  if (whole.length >= length) return [length, 0];
  whole.copy(out, at);
  return [whole.length, 1];
}

/**
 * The packing functions' source text, for the packer thread; `packSourceWith` keeps its name
 * there (a bundler may rename it, consistently in all of them).
 */
export const PACKING_SOURCE = [
  packSourceWith,
  findBase64Spans,
  base64SpanAt,
  decodeCanonical,
  packRuns,
  storeRunInPlace,
]
  .map(String)
  .join('\n');
export const PACK_FUNCTION_NAME = packSourceWith.name;
