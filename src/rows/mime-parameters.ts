/**
 * The parameters of a Content-Type or Content-Disposition header value (RFC 2045 section 5.1,
 * with RFC 2231 continuations and charsets), lower-case names. For parts whose server-side
 * BODYSTRUCTURE lost them (an invalid media type: Dovecot then sends "" "" and no parameters).
 */
import { TextDecoder } from 'node:util';
import { decodeHeaderText } from './header-words.js';

/** name=value pairs after the first ";", quoted strings unquoted, RFC 2231 parts joined and decoded. */
export function mimeParameters(value: string): Record<string, string> {
  const plain: Record<string, string> = {};
  const continued = new Map<string, { index: number; text: string; encoded: boolean }[]>();
  const pattern = /;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (const [, rawName, rawValue] of value.matchAll(pattern)) {
    const name = rawName!.toLowerCase();
    const text = rawValue!.startsWith('"')
      ? rawValue!.slice(1, -1).replace(/\\(.)/g, '$1')
      : rawValue!.trim();
    const star = /^([^*]+)\*(?:(\d+)\*?|)$/.exec(name);
    if (!star) {
      plain[name] = decodeHeaderText(Buffer.from(text, 'latin1'));
      continue;
    }
    const parts = continued.get(star[1]!) ?? [];
    parts.push({ index: Number(star[2] ?? 0), text, encoded: name.endsWith('*') });
    continued.set(star[1]!, parts);
  }
  for (const [name, parts] of continued) plain[name] = joinRfc2231(parts);
  return plain;
}

/** RFC 2231 sections 3-4: charset''percent-encoded text in the first encoded part. */
function joinRfc2231(parts: { index: number; text: string; encoded: boolean }[]): string {
  parts.sort((a, b) => a.index - b.index);
  let charset = 'utf-8';
  const bytes: Buffer[] = [];
  for (const [i, part] of parts.entries()) {
    let text = part.text;
    if (i === 0 && part.encoded) {
      const quote = /^([^']*)'[^']*'/.exec(text);
      if (quote) {
        charset = quote[1] || charset;
        text = text.slice(quote[0].length);
      }
    }
    bytes.push(
      part.encoded
        ? Buffer.from(
            text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
              String.fromCharCode(parseInt(hex, 16)),
            ),
            'latin1',
          )
        : Buffer.from(text, 'latin1'),
    );
  }
  try {
    return new TextDecoder(charset.toLowerCase()).decode(Buffer.concat(bytes));
  } catch {
    return Buffer.concat(bytes).toString('utf8');
  }
}
