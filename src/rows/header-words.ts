/**
 * Header text from its bytes, with RFC 2047 encoded words decoded once (issue 13). An ENVELOPE
 * hands the subject over already turned into a string: a raw 8-bit byte inside an encoded word
 * (`=?ISO-8859-1?Q?Fr<0xF6>sche?=`, common from old mailers) was read as UTF-8, spoiled, then
 * decoded again as ISO-8859-1 ("Frï¿½sche"). Working on the bytes, each encoded word's payload
 * becomes bytes first (8-bit bytes as they are) and is decoded with its charset exactly once.
 */

import { TextDecoder } from 'node:util';

// =?charset?encoding?payload?= (RFC 2047 section 2); the payload may hold raw 8-bit bytes,
// read here as latin1 characters, one per byte.
const ENCODED_WORD = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

// windows-1252's characters for bytes 0x80-0x9F (the rest is latin1); Node 20's TextDecoder
// gives C1 controls there instead.
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** The length of the valid UTF-8 sequence starting at `i`, or 0 (RFC 3629 section 4). */
function utf8SequenceAt(bytes: Buffer, i: number): number {
  const lead = bytes[i]!;
  const length =
    lead >= 0xc2 && lead <= 0xdf
      ? 2
      : lead >= 0xe0 && lead <= 0xef
        ? 3
        : lead >= 0xf0 && lead <= 0xf4
          ? 4
          : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  for (let k = 1; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
  return length;
}

const cp1252 = (byte: number): string =>
  byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80]! : String.fromCharCode(byte);

/**
 * Bytes -> text: UTF-8 when they are valid UTF-8 (RFC 6532); else each valid UTF-8 sequence as
 * UTF-8 and each stray byte as windows-1252, so one stray byte in a UTF-8 name ("J\xC3\xBCrgen
 * M\xFCller") no longer turns every other character into mojibake (issue 24).
 */
export function decodeRawBytes(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    let text = '';
    for (let i = 0; i < bytes.length; ) {
      const length = bytes[i]! < 0x80 ? 0 : utf8SequenceAt(bytes, i);
      if (length > 0) {
        text += bytes.toString('utf8', i, i + length);
        i += length;
      } else text += cp1252(bytes[i++]!);
    }
    return text;
  }
}

function decoderFor(charset: string): TextDecoder | undefined {
  // RFC 2231 section 5: a language may follow the charset (utf-8*de).
  const label = charset.split('*')[0]!.trim().toLowerCase();
  try {
    return new TextDecoder(label);
  } catch {
    return undefined;
  }
}

function payloadBytes(encoding: string, payload: string): Buffer {
  if (encoding.toUpperCase() === 'B') return Buffer.from(payload, 'base64');
  const bytes: number[] = [];
  for (let i = 0; i < payload.length; i++) {
    const char = payload[i]!;
    const hex = char === '=' ? payload.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(char === '_' ? 0x20 : char.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes);
}

/**
 * One header's value (unfolded) as bytes -> text. Encoded words next to each other with only
 * white space between are joined without it (RFC 2047 section 6.2); words of one charset are
 * joined at the byte level first, so a character split across two words survives. A charset
 * this Node cannot decode leaves the word as it was written.
 */
export function decodeHeaderText(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  let out = '';
  let last = 0;
  let pending: { charset: string; decoder: TextDecoder; bytes: Buffer[] } | undefined;
  const flush = (): void => {
    if (pending) out += pending.decoder.decode(Buffer.concat(pending.bytes));
    pending = undefined;
  };
  for (const match of text.matchAll(ENCODED_WORD)) {
    const [word, charset = '', encoding = 'Q', payload = ''] = match;
    const between = text.slice(last, match.index);
    const adjacent = last > 0 && /^[ \t]*$/.test(between) && pending !== undefined;
    if (!adjacent) {
      flush();
      out += decodeRawBytes(Buffer.from(between, 'latin1'));
    }
    last = match.index + word.length;
    const decoder = decoderFor(charset);
    if (!decoder) {
      flush();
      out += word;
      continue;
    }
    const decoded = payloadBytes(encoding, payload);
    if (pending && pending.charset === charset.toLowerCase()) pending.bytes.push(decoded);
    else {
      flush();
      pending = { charset: charset.toLowerCase(), decoder, bytes: [decoded] };
    }
  }
  flush();
  return out + decodeRawBytes(Buffer.from(text.slice(last), 'latin1'));
}
