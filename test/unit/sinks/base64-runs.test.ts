import { randomBytes } from 'node:crypto';
import { brotliCompressSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BROTLI_OPTIONS, checkedSource, sourceKey } from '../../../src/sinks/archive-blob.js';
import {
  CODEC_BASE64_RUNS,
  CODEC_BROTLI,
  type PackedSource,
} from '../../../src/sinks/base64-runs.js';
import { packSourceSync, SourcePacker } from '../../../src/sinks/source-packer.js';

const lines = (text: string, width: number, eol = '\r\n'): string =>
  (text.match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join(eol) + eol;

/** A message as mail clients write it: a text part and attachments as 76-column base64. */
function message(attachments: readonly Buffer[], width = 76): Buffer {
  const parts = attachments.map(
    (bytes, i) =>
      `--b\r\nContent-Type: application/octet-stream; name="f${i}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${lines(bytes.toString('base64'), width)}`,
  );
  return Buffer.from(
    `From: ann@example.com\r\nSubject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n` +
      `--b\r\nContent-Type: text/plain\r\n\r\n${'The files, as promised.\r\n'.repeat(20)}` +
      parts.join('') +
      '--b--\r\n',
    'latin1',
  );
}

/** The source back out of its stored form, as the archive reads it. */
function readBack(raw: Buffer, packed: PackedSource): ReturnType<typeof checkedSource> {
  return checkedSource({
    account: 'a',
    folder: 'INBOX',
    uid_validity: '1',
    uid: 1,
    flags: '[]',
    internal_date: null,
    blob: sourceKey(raw),
    size: raw.length,
    compressed: packed.compressed,
    codec: packed.codec,
  });
}

describe('the base64-runs codec', () => {
  it('keeps a canonical attachment as its bytes and gives back the exact source', () => {
    const raw = message([randomBytes(300_000), randomBytes(9_000)]);
    const packed = packSourceSync(raw);
    // The fast path is on: the attachments are not in the Brotli stream.
    expect(packed.codec).toBe(CODEC_BASE64_RUNS);
    expect(packed.compressed.length).toBeLessThan(309_000 + 2_000);
    expect(packed.compressed.length).toBeLessThan(
      brotliCompressSync(raw, BROTLI_OPTIONS).length * 1.01,
    );
    expect(readBack(raw, packed)).toEqual({ raw, damage: null });
  });

  it('compresses an attachment whose bytes compress (a CSV sent as base64) no worse than Brotli did', () => {
    const csv = Buffer.from('date,amount,account\r\n2024-01-02,12.50,ACME-7\r\n'.repeat(4000));
    const raw = message([csv]);
    const packed = packSourceSync(raw);
    expect(packed.codec).toBe(CODEC_BASE64_RUNS);
    expect(packed.compressed.length).toBeLessThan(
      brotliCompressSync(raw, BROTLI_OPTIONS).length * 1.05,
    );
    expect(readBack(raw, packed)).toEqual({ raw, damage: null });
  });

  it('gives back the exact bytes of any message, however its base64 is written (property)', () => {
    const edits = [
      (text: string) => text, // canonical
      (text: string) => text.replaceAll('\r\n', '\n'), // bare LF
      (text: string, at: number) => text.slice(0, at) + '*' + text.slice(at + 1), // not base64
      (text: string, at: number) => text.slice(0, at) + '_' + text.slice(at + 1), // base64url
      (text: string, at: number) => text.slice(0, at) + '=' + text.slice(at), // padding inside
      (text: string, at: number) => text.slice(0, at) + ' ' + text.slice(at), // a space
      (text: string) => text.slice(0, -2), // no final line break
      (text: string) => text + '\r\n', // an empty line after
      (text: string, at: number) => text.slice(0, at) + '\r\n' + text.slice(at), // a short line
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12_000 }),
        fc.constantFrom(4, 60, 64, 72, 75, 76, 77, 996, 1000),
        fc.integer({ min: 0, max: edits.length - 1 }),
        fc.nat(),
        fc.boolean(),
        (size, width, edit, where, last) => {
          const text = lines(randomBytes(size).toString('base64'), width);
          const edited = edits[edit]!(text, where % Math.max(1, text.length));
          const raw = Buffer.from(
            `Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n${edited}${last ? '' : '--b--\r\n'}`,
            'latin1',
          );
          const packed = packSourceSync(raw);
          expect(readBack(raw, packed)).toEqual({ raw, damage: null });
          if (edit === 0 && width % 4 === 0 && width <= 996 && text.length > 4096 + 2 * width)
            expect(packed.codec).toBe(CODEC_BASE64_RUNS);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the canonical attachments of a message and leaves the others in its Brotli part', () => {
    const canonical = lines(randomBytes(60_000).toString('base64'), 76);
    // Same shape, one character outside the alphabet: decoded, it would not give these lines.
    const spoiled = lines(randomBytes(200_000).toString('base64'), 76).replace(/.(\r\n)$/, '*$1');
    for (const [first, second] of [
      [canonical, spoiled],
      [spoiled, canonical],
    ]) {
      const raw = Buffer.from(
        `Subject: two\r\n\r\n--b\r\n\r\n${first}--b\r\n\r\n${second}--b--\r\n`,
        'latin1',
      );
      const packed = packSourceSync(raw);
      expect(packed.codec).toBe(CODEC_BASE64_RUNS);
      expect(packed.compressed.length).toBeLessThan(60_000 + 0.77 * 272_000);
      expect(readBack(raw, packed)).toEqual({ raw, damage: null });
    }
  });

  it('packs a message of many short blocks of base64-shaped lines in one pass, not once per block', () => {
    // 4 MB of two-line blocks after empty lines, no '-' anywhere: searching to the end from
    // each of the 300,000 blocks would take minutes (the test's timeout fails it).
    const raw = Buffer.from(`Subject: blocks\r\n\r\n${'AAAA\r\nAAAA\r\n\r\n'.repeat(300_000)}`);
    const packed = packSourceSync(raw);
    expect(packed.codec).toBe(CODEC_BROTLI);
    const back = readBack(raw, packed);
    expect(back.damage).toBeNull();
    expect(back.raw.equals(raw)).toBe(true);
  }, 10_000);

  it('reports a damaged or unknown stored form as damage, never as mail and never by throwing', () => {
    const raw = message([randomBytes(50_000)]);
    const packed = packSourceSync(raw);
    expect(packed.codec).toBe(CODEC_BASE64_RUNS);
    const damaged = (compressed: Buffer, codec = packed.codec) =>
      readBack(raw, { ...packed, compressed, codec }).damage;
    const flipped = Buffer.from(packed.compressed);
    flipped[flipped.length - 100]! ^= 1;
    const misplaced = Buffer.from(packed.compressed);
    misplaced.writeUInt32BE(0xffffffff, 8);
    const huge = Buffer.from(packed.compressed);
    huge.writeUInt32BE(0x7fffffff, 4);
    expect(damaged(packed.compressed.subarray(0, 6))).toBe(
      'its stored source cannot be decompressed',
    );
    expect(damaged(packed.compressed.subarray(0, packed.compressed.length - 1))).toBe(
      'its stored source cannot be decompressed',
    );
    expect(damaged(misplaced)).toBe('its stored source cannot be decompressed');
    expect(damaged(huge)).toBe('its stored source cannot be decompressed');
    expect(damaged(flipped)).toBe('its stored source no longer matches its SHA-256');
    expect(damaged(packed.compressed, 7)).toBe(
      'its stored source uses a codec this version cannot read (7)',
    );
    // A Brotli blob read as codec 1, and the reverse, are refused too.
    expect(damaged(brotliCompressSync(raw), CODEC_BASE64_RUNS)).not.toBeNull();
    expect(damaged(packed.compressed, CODEC_BROTLI)).not.toBeNull();
  });

  it('packs on the worker thread exactly what the calling thread packs', async () => {
    const raws = [message([randomBytes(120_000)]), message([]), message([randomBytes(5_000)])];
    const packer = new SourcePacker();
    const packed = await Promise.all(raws.map((raw) => packer.pack(raw)));
    expect(packer.offThread).toBe(true);
    expect(packed.map((p) => p.codec)).toEqual([
      CODEC_BASE64_RUNS,
      CODEC_BROTLI,
      CODEC_BASE64_RUNS,
    ]);
    for (const [i, raw] of raws.entries()) {
      expect(packed[i]).toEqual(packSourceSync(raw));
      expect(readBack(raw, packed[i]!)).toEqual({ raw, damage: null });
    }
    await packer.close();
  });
});
