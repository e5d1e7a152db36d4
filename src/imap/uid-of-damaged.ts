/**
 * The UID of a FETCH response that cannot be tokenized as a whole (a structure nested beyond
 * the tokenizer's bound, a broken string inside one message's data): found by a shallow scan
 * of its first line for `UID n` among the top-level items. With it, the response fails alone
 * (issue 24): one hostile message must not fail the FETCH of its neighbours.
 */
import { NZ_NUMBER } from './fetch-message.js';

const FETCH_OPEN = /^\* \d+ FETCH \(/i;
const UID_ITEM = /^UID ([0-9]+)(?=[ )])/i;

/** The UID named among the top-level items of `line` (a `* n FETCH (...` line), if any. */
export function uidOfDamaged(line: Buffer): number | undefined {
  const text = line.toString('latin1');
  const open = FETCH_OPEN.exec(text);
  if (!open) return undefined;
  let depth = 1;
  let bracket = 0;
  let atItemStart = true;
  for (let i = open[0].length; i < text.length && depth > 0; i++) {
    const c = text[i]!;
    if (c === '"') {
      // A quoted string: skip it, escapes included (RFC 3501 section 9, quoted-specials).
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      atItemStart = false;
      continue;
    }
    if (c === '[') bracket++;
    else if (c === ']') bracket = Math.max(0, bracket - 1);
    else if (bracket === 0 && c === '(') depth++;
    else if (bracket === 0 && c === ')') depth--;
    if (depth === 1 && bracket === 0 && atItemStart) {
      const uid = UID_ITEM.exec(text.slice(i, i + 16));
      if (uid && NZ_NUMBER.test(uid[1]!)) return Number(uid[1]);
    }
    atItemStart = c === ' ' || c === '(';
  }
  return undefined;
}
