/**
 * A list file's bytes as text (issue 27). A CSV a spreadsheet saved in Windows-1252 is not
 * UTF-8: decoded as UTF-8 anyway, "Müller" loses its ü and the row fails later as a wrong
 * password. So UTF-8 is checked, and a byte that is not UTF-8 is refused naming its line and
 * column and what to do; a profile may name the file's encoding instead.
 */
import { ConfigError } from '../errors.js';

/** The encodings a mailbox list may be in (the profile's `mailboxes.encoding`). */
export const LIST_ENCODINGS = ['utf-8', 'windows-1252', 'iso-8859-15'] as const;
export type ListEncoding = (typeof LIST_ENCODINGS)[number];

// Windows-1252's 0x80-0x9F (WHATWG's table; 0 where it has no character). Node's TextDecoder
// decodes windows-1252 as Latin-1, which puts control characters where € and „ belong.
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152,
  0, 0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161,
  0x203a, 0x0153, 0, 0x017e, 0x0178,
];

function decodeWindows1252(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes)
    text += String.fromCharCode(
      byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80] || byte : byte,
    );
  return text;
}

/** How many continuation bytes a UTF-8 lead byte takes; -1 when it cannot start a character. */
function continuations(lead: number): number {
  if (lead < 0x80) return 0;
  if (lead >= 0xc2 && lead <= 0xdf) return 1;
  if (lead >= 0xe0 && lead <= 0xef) return 2;
  if (lead >= 0xf0 && lead <= 0xf4) return 3;
  return -1;
}

/** The offset of the first character in bytes[start, end) that is not well-formed UTF-8. */
function badOffset(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; ) {
    const more = continuations(bytes[i]!);
    if (more < 0 || i + more >= end) return i;
    for (let k = 1; k <= more; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return start;
}

/** Where the first byte that is not UTF-8 is: line and column (1-based, in characters). */
function firstInvalid(bytes: Uint8Array): { line: number; column: number; byte: number } {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lineStart = 0;
  let line = 1;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    try {
      decoder.decode(bytes.subarray(lineStart, i));
    } catch {
      const at = badOffset(bytes, lineStart, i);
      const column = new TextDecoder().decode(bytes.subarray(lineStart, at)).length + 1;
      return { line, column, byte: bytes[at]! };
    }
    lineStart = i + 1;
    line++;
  }
  return { line, column: 1, byte: 0 };
}

/**
 * The file's text in `encoding` (UTF-8 unless told), a BOM dropped.
 * @throws CONFIG_INVALID naming `field`, the line and column of the first byte that is not UTF-8.
 */
export function decodeListFile(
  bytes: Uint8Array,
  field: string,
  encoding: ListEncoding = 'utf-8',
): string {
  if (encoding === 'windows-1252') return decodeWindows1252(bytes).replace(/^\uFEFF/, '');
  if (encoding !== 'utf-8') return new TextDecoder(encoding).decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const at = firstInvalid(bytes);
    throw new ConfigError([
      {
        field,
        position: { line: at.line, column: at.column },
        message: `line ${at.line}, column ${at.column}: byte 0x${at.byte.toString(16).toUpperCase().padStart(2, '0')} is not UTF-8; a spreadsheet may have saved the file as Windows-1252: save it as "CSV UTF-8", or set mailboxes.encoding to "windows-1252"`,
      },
    ]);
  }
}
