/**
 * Base64 parts decoded a slice of lines at a time (issue 30, item 3). Decoding a whole part
 * through one latin1 string put every attachment larger than 128 KB into V8's large-object
 * space, twice over with its decoded copy: a full read collected garbage 30-40 times with full
 * mark-compacts. Slices of about 48 KB keep each string young and short-lived, and a digest
 * needs no decoded copy at all.
 *
 * The bytes are always those of `Buffer.from(bytes.toString('latin1'), 'base64')`. A slice is
 * cut only at a line end of a regular part (every line the same width, a multiple of 4, then
 * the same line break), and a slice counts only when it decodes to exactly 3/4 of its width:
 * then it held no padding and no stray byte, so its characters are whole groups and decoding
 * it alone gives what it gives inside the part. Anything else, from there on, is decoded the
 * old way, which the groups before it do not change.
 */

/** The input bytes of one slice: its latin1 string stays well under V8's 128 KB object limit. */
const SLICE_BYTES = 48 * 1024;

interface Lines {
  /** Bytes per line, line break included. */
  length: number;
  /** Base64 characters per line. */
  width: number;
  /** Bytes of the line break: 2 (CRLF) or 1 (LF). */
  breakBytes: number;
}

/** The part's line shape from its first line, when slicing by lines can hold. */
function linesOf(bytes: Buffer): Lines | undefined {
  const firstBreak = bytes.indexOf(0x0a);
  if (firstBreak < 1) return undefined;
  const breakBytes = bytes[firstBreak - 1] === 0x0d ? 2 : 1;
  const width = firstBreak + 1 - breakBytes;
  if (width === 0 || width % 4 !== 0) return undefined;
  return { length: firstBreak + 1, width, breakBytes };
}

/** True when every line of bytes[start, end) ends where the part's first line did. */
function regularLines(bytes: Buffer, start: number, end: number, lines: Lines): boolean {
  for (let lf = start + lines.length - 1; lf < end; lf += lines.length) {
    if (bytes[lf] !== 0x0a) return false;
    if (lines.breakBytes === 2 && bytes[lf - 1] !== 0x0d) return false;
  }
  return true;
}

/**
 * Decodes `bytes` slice by slice: `write(text)` decodes one slice's text (latin1) wherever the
 * caller keeps it and returns the bytes written; `exact` is how many a slice of whole groups
 * must give. Returns where the caller must decode the rest the old way (bytes.length when
 * nothing is left).
 */
function decodeSlices(bytes: Buffer, write: (text: string, exact: number) => number): number {
  const lines = bytes.length > SLICE_BYTES ? linesOf(bytes) : undefined;
  if (!lines) return 0;
  const linesPerSlice = Math.max(1, Math.floor(SLICE_BYTES / lines.length));
  const sliceBytes = linesPerSlice * lines.length;
  const exact = (linesPerSlice * lines.width * 3) / 4;
  let start = 0;
  // The last slice (at most sliceBytes) holds the padding: the old way decodes it.
  while (bytes.length - start > sliceBytes) {
    const end = start + sliceBytes;
    if (!regularLines(bytes, start, end, lines)) break;
    if (write(bytes.toString('latin1', start, end), exact) !== exact) break;
    start = end;
  }
  return start;
}

/** The decoded bytes, as `Buffer.from(bytes.toString('latin1'), 'base64')` gives them. */
export function decodeBase64(bytes: Buffer): Buffer {
  if (bytes.length <= SLICE_BYTES) return Buffer.from(bytes.toString('latin1'), 'base64');
  // Room for every byte the whole could decode to, and for a slice that overshoots.
  const out = Buffer.allocUnsafe(Math.ceil((bytes.length * 3) / 4) + 3);
  let length = 0;
  const rest = decodeSlices(bytes, (text, exact) => {
    const written = out.write(text, length, 'base64');
    if (written === exact) length += written;
    return written;
  });
  if (rest < bytes.length) length += out.write(bytes.toString('latin1', rest), length, 'base64');
  return out.subarray(0, length);
}

/**
 * Hands the decoded bytes to `take` in order, a slice at a time, without holding them whole.
 * A piece is valid only during its call: its memory is reused for the next one.
 */
export function eachBase64Piece(bytes: Buffer, take: (piece: Buffer) => void): void {
  let piece: Buffer | undefined;
  const rest = decodeSlices(bytes, (text, exact) => {
    piece ??= Buffer.allocUnsafe(exact + 3);
    const written = piece.write(text, 0, 'base64');
    if (written === exact) take(piece.subarray(0, written));
    return written;
  });
  if (rest < bytes.length) take(Buffer.from(bytes.toString('latin1', rest), 'base64'));
}
