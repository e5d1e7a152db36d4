/**
 * How the archive keeps a message's source: compressed (Brotli, with base64 attachments kept
 * as their bytes: base64-runs.ts), stored under the SHA-256 of its exact bytes, and checked
 * against that hash every time it is read back (issue 9).
 */
import { createHash } from 'node:crypto';
import { brotliDecompressSync, constants } from 'node:zlib';
import { CODEC_BASE64_RUNS, CODEC_BROTLI } from './base64-runs.js';
import { unpackBase64Runs } from './unpack-base64-runs.js';

// Brotli from Node's own zlib, at quality 2 (issue 30): measured against quality 4, gzip and
// zstd per MB of mail (docs/performance.md), quality 2 took a third of quality 4's time with
// the same ratio on mail whose bytes are attachments (0.757) and 7-10% more on text alone.
// Any quality decodes with the same decoder, so archives written before read as they were.
// Recorded in archive_meta; each blob's own codec is in its row (blobs.codec).
export const COMPRESSION = 'brotli';
export const BROTLI_OPTIONS = {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 2,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
  },
};
/** The archive's key of a source: the SHA-256 of its exact bytes, in hex. */
export function sourceKey(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('hex');
}

export interface StoredRow {
  account: string;
  folder: string;
  uid_validity: string;
  uid: number;
  flags: string;
  internal_date: string | null;
  blob: string;
  size: number;
  compressed: Buffer | null;
  /** How `compressed` is encoded (base64-runs.ts); 0 in archives from before codecs. */
  codec: number | bigint;
}

const NO_BYTES = Buffer.alloc(0);

/** Decompresses a stored source and checks it against its key; never throws for bad data. */
export function checkedSource(row: StoredRow): { raw: Buffer; damage: string | null } {
  if (!row.compressed) return { raw: NO_BYTES, damage: 'its source is missing from the archive' };
  const codec = Number(row.codec);
  if (codec !== CODEC_BROTLI && codec !== CODEC_BASE64_RUNS)
    return {
      raw: NO_BYTES,
      damage: `its stored source uses a codec this version cannot read (${codec})`,
    };
  let raw: Buffer;
  try {
    raw =
      codec === CODEC_BROTLI
        ? brotliDecompressSync(row.compressed)
        : unpackBase64Runs(row.compressed, Number(row.size));
  } catch {
    return { raw: NO_BYTES, damage: 'its stored source cannot be decompressed' };
  }
  if (raw.length !== row.size || sourceKey(raw) !== row.blob) {
    return { raw: NO_BYTES, damage: 'its stored source no longer matches its SHA-256' };
  }
  return { raw, damage: null };
}

export function parseFlags(text: string): string[] {
  try {
    const flags = JSON.parse(text) as unknown;
    return Array.isArray(flags)
      ? flags.filter((flag): flag is string => typeof flag === 'string')
      : [];
  } catch {
    return [];
  }
}
