/**
 * libmime's decodeWords, run only where it could change the value. libmime runs five regular
 * expressions over every string it is given; a value without an encoded word's "=?" and without
 * a NUL (libmime's own joining marker) comes back unchanged, so it is given back at once. Held
 * equal to libmime by the ENVELOPE and BODYSTRUCTURE decoders' tests (envelope.test.ts,
 * bodystructure.test.ts).
 */
import { libmime } from './imapflow-bundle.js';

// Display names and parameter values repeat from message to message (a mailbox has far fewer
// senders than mail), and libmime takes some 30 us for one with an encoded word: short decoded
// values are kept, up to a bound (2,048 of at most 256 characters: under 2 MB).
const DECODED_LIMIT = 2048;
const CACHED_LENGTH = 256;
const decoded = new Map<string, string>();

/** What libmime.decodeWords gives for `value`; "" for an absent or empty one. */
export function decodeWords(value: string | false | undefined): string {
  if (!value) return '';
  if (!value.includes('=?') && !value.includes('\0')) return value;
  if (value.length > CACHED_LENGTH) return libmime.decodeWords(value);
  let text = decoded.get(value);
  if (text === undefined) {
    if (decoded.size >= DECODED_LIMIT) decoded.clear();
    text = libmime.decodeWords(value);
    decoded.set(value, text);
  }
  return text;
}
