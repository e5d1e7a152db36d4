/**
 * One downloaded MIME part's bytes -> text (issue 13): its transfer encoding undone (base64 by
 * Node's native decoder, a slice of lines at a time, quoted-printable, uuencode), its charset decoded once with TextDecoder,
 * and format=flowed lines joined (RFC 3676). Never throws: an unknown charset is read as UTF-8
 * or windows-1252 (header-words.ts), with a warning.
 */
import { TextDecoder } from 'node:util';
import { decodeBase64 } from './base64-chunks.js';
import { decodeRawBytes } from './header-words.js';
import { decodeUtf7 } from './utf7.js';
import type { TextPart } from './text-parts.js';

/** Quoted-printable (RFC 2045 6.7): =XX bytes, soft line breaks; anything else as it is. */
function quotedPrintable(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length);
  let length = 0;
  const hex = (byte: number | undefined): number => {
    if (byte === undefined) return -1;
    if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
    if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
    if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
    return -1;
  };
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte !== 0x3d) {
      out[length++] = byte;
      continue;
    }
    const high = hex(bytes[i + 1]);
    const low = hex(bytes[i + 2]);
    if (high >= 0 && low >= 0) {
      out[length++] = high * 16 + low;
      i += 2;
      continue;
    }
    // A soft line break: "=" then optional transport padding, then CRLF, LF, or the end of
    // the part (a last line ending in "=" has no line break after it to remove).
    let j = i + 1;
    while (bytes[j] === 0x20 || bytes[j] === 0x09) j++;
    if (bytes[j] === 0x0d && bytes[j + 1] === 0x0a) i = j + 1;
    else if (bytes[j] === 0x0a) i = j;
    else if (j >= bytes.length) i = j;
    else out[length++] = byte;
  }
  return out.subarray(0, length);
}

/** uuencode (x-uuencode): the lines between "begin" and "end", four characters per three bytes. */
function uudecode(bytes: Buffer): Buffer {
  const lines = bytes.toString('latin1').split(/\r?\n/);
  const start = lines.findIndex((line) => /^begin\s+\d+/.test(line));
  const chunks: Buffer[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === 'end' || line === '`' || line === '') {
      if (line === 'end') break;
      continue;
    }
    const count = (line.charCodeAt(0) - 32) & 0x3f;
    const out = Buffer.alloc(count);
    for (let i = 1, o = 0; o < count; i += 4) {
      const c = [0, 1, 2, 3].map((k) => ((line.charCodeAt(i + k) || 32) - 32) & 0x3f);
      const triple = [
        (c[0]! << 2) | (c[1]! >> 4),
        ((c[1]! & 0xf) << 4) | (c[2]! >> 2),
        ((c[2]! & 0x3) << 6) | c[3]!,
      ];
      for (const byte of triple) if (o < count) out[o++] = byte;
    }
    chunks.push(out);
  }
  return start < 0 ? bytes : Buffer.concat(chunks);
}

/** The transfer encoding undone; 7bit, 8bit, binary and unknown ones as they are. */
export function transferDecode(bytes: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return decodeBase64(bytes);
  if (encoding === 'quoted-printable') return quotedPrintable(bytes);
  if (encoding === 'x-uuencode' || encoding === 'uuencode' || encoding === 'x-uue')
    return uudecode(bytes);
  return bytes;
}

/** RFC 3676: a line ending in a space continues on the next; space-stuffing is undone. */
function unflow(text: string, delSp: boolean): string {
  const out: string[] = [];
  let current: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.startsWith(' ') ? raw.slice(1) : raw;
    const soft = line.endsWith(' ') && line !== '-- ';
    const piece = soft && delSp ? line.slice(0, -1) : line;
    current = current === undefined ? piece : current + piece;
    if (!soft) {
      out.push(current);
      current = undefined;
    }
  }
  if (current !== undefined) out.push(current);
  return out.join('\n');
}

const ASCII_LABELS = new Set(['us-ascii', 'ascii', 'ansi_x3.4-1968', 'iso646-us', 'us']);
// UTF-7 (RFC 2152) is no WHATWG encoding: TextDecoder refuses it, utf7.ts decodes it.
const UTF7_LABELS = new Set(['utf-7', 'unicode-1-1-utf-7', 'csunicode11utf7']);

/** A part's bytes as the text a reader sees, and a warning when its charset was unknown. */
export function decodePart(bytes: Buffer, part: TextPart): { text: string; warning?: string } {
  const decoded = transferDecode(bytes, part.encoding);
  const label = part.charset?.trim().toLowerCase();
  let text: string;
  let warning: string | undefined;
  if (label && UTF7_LABELS.has(label)) text = decodeUtf7(decoded.toString('latin1'));
  else {
    let decoder: TextDecoder | undefined;
    // US-ASCII is what a server says for a part without a charset, and what many mailers
    // write over UTF-8 text: bytes above 0x7F then are read as raw bytes (UTF-8, else
    // windows-1252), never as WHATWG's windows-1252 alias of "us-ascii", which turns UTF-8
    // into mojibake.
    if (label && !ASCII_LABELS.has(label)) {
      try {
        decoder = new TextDecoder(label);
      } catch {
        warning = `part ${part.section}: unknown charset ${JSON.stringify(part.charset)}, read as UTF-8 or windows-1252`;
      }
    }
    text = decoder ? decoder.decode(decoded) : decodeRawBytes(decoded);
  }
  text = text.replace(/\r\n/g, '\n');
  if (part.flowed) text = unflow(text, part.delSp);
  return warning ? { text, warning } : { text };
}
