import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeBase64, eachBase64Piece } from '../../../src/rows/base64-chunks.js';
import { digestPieces } from '../../../src/rows/parse-body.js';

/** What Node gives for the whole part: the bytes every slicing must reproduce. */
const whole = (bytes: Buffer): Buffer => Buffer.from(bytes.toString('latin1'), 'base64');

const pieces = (bytes: Buffer): Buffer[] => {
  const out: Buffer[] = [];
  // Copied: a piece is valid only during its call.
  eachBase64Piece(bytes, (piece) => out.push(Buffer.from(piece)));
  return out;
};

/** Base64 of `size` random bytes in lines of `width` characters ending in `eol`. */
function part(size: number, width = 76, eol = '\r\n'): Buffer {
  const text = randomBytes(size).toString('base64');
  const lines = text.match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
  return Buffer.from(lines.join(eol) + eol, 'latin1');
}

/** A hostile change at `at` (a fraction of the part): a stray byte, a lost break, padding. */
const damage = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  kind: fc.constantFrom('insert', 'replace', 'delete'),
  byte: fc.constantFrom(...' \t=!-_.\r\n\0\xffA'.split('').map((c) => c.charCodeAt(0))),
});

function damaged(bytes: Buffer, changes: readonly { at: number; kind: string; byte: number }[]) {
  let out = bytes;
  for (const { at, kind, byte } of changes) {
    const i = Math.min(out.length - 1, Math.floor(at * out.length));
    const b = Buffer.from([byte]);
    if (kind === 'insert') out = Buffer.concat([out.subarray(0, i), b, out.subarray(i)]);
    else if (kind === 'delete') out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
    else out = Buffer.concat([out.subarray(0, i), b, out.subarray(i + 1)]);
  }
  return out;
}

describe('base64 decoded a slice of lines at a time', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives the bytes of the whole decode, for regular and damaged parts of any shape', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200_000 }),
        fc.constantFrom(4, 60, 64, 72, 76, 78, 100, 1000),
        fc.constantFrom('\r\n', '\n', '\r'),
        fc.array(damage, { maxLength: 3 }),
        (size, width, eol, changes) => {
          const bytes = damaged(part(size, width, eol), changes);
          const expected = whole(bytes);
          expect(decodeBase64(bytes).equals(expected)).toBe(true);
          expect(Buffer.concat(pieces(bytes)).equals(expected)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('slices a regular part: no string near 128 KB, and pieces instead of one copy', () => {
    const bytes = part(1_000_000);
    const toString = vi.spyOn(Buffer.prototype, 'toString');
    const decoded = decodeBase64(bytes);
    const longest = Math.max(
      ...toString.mock.calls.map(([, start, end]) => Number(end ?? 0) - Number(start ?? 0)),
    );
    expect(toString.mock.calls.length).toBeGreaterThan(20);
    expect(longest).toBeLessThanOrEqual(48 * 1024);
    expect(decoded.equals(whole(bytes))).toBe(true);
    const got = pieces(bytes);
    expect(got.length).toBeGreaterThan(20);
    expect(Math.max(...got.map((piece) => piece.length))).toBeLessThanOrEqual(36 * 1024);
  });

  it('decodes the rest the old way from the first irregular line on', () => {
    const bytes = damaged(part(400_000), [{ at: 0.5, kind: 'insert', byte: 0x20 }]);
    const got = pieces(bytes);
    // Slices up to the damage, then one piece for everything after it.
    expect(got.length).toBeGreaterThan(2);
    expect(got.at(-1)!.length).toBeGreaterThan(150_000);
    expect(Buffer.concat(got).equals(whole(bytes))).toBe(true);
  });

  it('a line break turned into a letter is caught by the line check, not only by the length', () => {
    // 76 + 1 characters in the slice: it decodes to the same length as 76, dropping one.
    for (const eol of ['\r\n', '\n']) {
      const bytes = part(200_000, 76, eol);
      bytes[10 * (76 + eol.length) + 76] = 0x41;
      expect(Buffer.concat(pieces(bytes)).equals(whole(bytes))).toBe(true);
      expect(decodeBase64(bytes).equals(whole(bytes))).toBe(true);
    }
  });

  it('padding in the middle ends the decode where Node ends it', () => {
    const head = part(120_000);
    const bytes = Buffer.concat([
      head.subarray(0, 60_000 - (60_000 % 78)),
      Buffer.from('QQ==\r\n'),
      head,
    ]);
    expect(decodeBase64(bytes).equals(whole(bytes))).toBe(true);
    expect(Buffer.concat(pieces(bytes)).equals(whole(bytes))).toBe(true);
  });

  it('a digest from pieces is the size and SHA-256 of the decoded bytes', () => {
    const bytes = part(300_000);
    const decoded = whole(bytes);
    expect(digestPieces((take) => eachBase64Piece(bytes, take))).toEqual({
      size: decoded.length,
      sha256: createHash('sha256').update(decoded).digest('hex'),
    });
  });
});
