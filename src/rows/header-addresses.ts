/**
 * An address header's bytes -> addresses (RFC 5322 section 3.4), for messages whose ENVELOPE
 * cannot be trusted (issue 13): Dovecot fills an address without a domain, an empty list
 * element or `Name <>` with placeholders (MISSING_MAILBOX, MISSING_DOMAIN, SYNTAX_ERROR) that
 * looked like real addresses in rows. Here an address is only ever what the header says: an
 * element without a usable addr-spec keeps its text as a name and has address null, an empty
 * element is dropped, a group keeps its name (address null) followed by its members.
 */
import { decodeHeaderText } from './header-words.js';
import type { Address } from './row.js';

type Token =
  | { kind: 'word'; text: string; quoted: boolean; spaced: boolean }
  | { kind: 'comment'; text: string }
  | { kind: 'special'; text: string };

const SPECIALS = new Set(['<', '>', ',', ':', ';', '@']);

/** The header's characters (latin1: one per byte) -> words, comments and specials. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let spaced = false;
  for (let i = 0; i < text.length; ) {
    const char = text[i]!;
    if (/\s/.test(char)) {
      spaced = true;
      i++;
    } else if (char === '"' || char === '(') {
      // Quoted strings and (nested) comments, with backslash escapes; unterminated ones end
      // at the end of the header rather than swallowing it into an error.
      const close = char === '"' ? '"' : ')';
      let depth = 1;
      let value = '';
      i++;
      while (i < text.length && depth > 0) {
        const c = text[i]!;
        if (c === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        if (char === '(' && c === '(') depth++;
        else if (c === close) depth--;
        if (depth > 0) value += c;
        i++;
      }
      tokens.push(
        char === '"'
          ? { kind: 'word', text: value, quoted: true, spaced }
          : { kind: 'comment', text: value },
      );
      spaced = char === '(' ? true : false;
    } else if (SPECIALS.has(char)) {
      tokens.push({ kind: 'special', text: char });
      spaced = false;
      i++;
    } else {
      let end = i;
      while (end < text.length && !/[\s"(),:;<>@]/.test(text[end]!)) end++;
      // A stray ")" (or any other lone delimiter) is a word of its own: always move on.
      if (end === i) end = i + 1;
      tokens.push({ kind: 'word', text: text.slice(i, end), quoted: false, spaced });
      spaced = false;
      i = end;
    }
  }
  return tokens;
}

const decode = (latin1: string): string => decodeHeaderText(Buffer.from(latin1, 'latin1')).trim();

/** A usable addr-spec: a local part and a domain, nothing else. */
function addrSpec(text: string): string | null {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return null;
  return /[\s<>(),;:]/.test(text) ? null : text;
}

/** Where the last white-space-separated run of tokens starts (a word after a space); -1 if none. */
function lastSpacedWordIndex(tokens: Token[]): number {
  for (let i = tokens.length - 1; i > 0; i--) {
    const token = tokens[i]!;
    if (token.kind === 'word' && token.spaced) return i;
  }
  return -1;
}

/** One element's tokens -> an address, or undefined when the element is empty. */
function toAddress(tokens: Token[]): Address | undefined {
  const open = tokens.findIndex((t) => t.kind === 'special' && t.text === '<');
  const comments = tokens.filter((t) => t.kind === 'comment').map((t) => t.text);
  const joined = (list: Token[], spaced: boolean): string =>
    list
      .filter((t) => t.kind !== 'comment')
      .map((t, i) => (spaced && i > 0 && (t.kind !== 'word' || t.spaced) ? ' ' : '') + t.text)
      .join('');
  if (open >= 0) {
    const closeAt = tokens.findIndex((t, i) => i > open && t.kind === 'special' && t.text === '>');
    const inside = tokens.slice(open + 1, closeAt < 0 ? undefined : closeAt);
    // An obsolete route (<@relay.example:user@host>) is dropped (RFC 5322 section 4.4).
    const colon = inside.findIndex((t) => t.kind === 'special' && t.text === ':');
    const spec = joined(colon >= 0 ? inside.slice(colon + 1) : inside, false);
    const phrase = decode(joined(tokens.slice(0, open), true));
    const address = addrSpec(spec);
    const name = phrase || (comments[0] ? decode(comments[0]) : '') || (address ? '' : spec);
    if (!name && !address) return undefined;
    return { name: name || null, address };
  }
  // "Jane Doe jane@example.org": words, then an addr-spec after white space, without angle
  // brackets. The words are the name, not part of the address (joined, they invented
  // JaneDoejane@example.org; issue 24).
  const words = tokens.filter((t) => t.kind !== 'comment');
  const lastStart = lastSpacedWordIndex(words);
  if (lastStart > 0) {
    const tail = addrSpec(joined(words.slice(lastStart), false));
    if (tail)
      return { name: decode(joined(words.slice(0, lastStart), true)) || null, address: tail };
  }
  const spec = joined(tokens, false);
  const address = addrSpec(spec);
  if (address) {
    const name = comments[0] ? decode(comments[0]) : '';
    return { name: name || null, address };
  }
  // No addr-spec: a local name without a domain, or a display name whose address is missing.
  const name = decode(joined(tokens, true));
  return name ? { name, address: null } : undefined;
}

/**
 * One address header (unfolded, as bytes) -> addresses. Never throws: text that is no address
 * becomes a name with address null, so nothing a sender wrote is lost or invented.
 */
export function parseAddressList(bytes: Buffer): Address[] {
  const tokens = tokenize(bytes.toString('latin1'));
  const found: Address[] = [];
  let element: Token[] = [];
  let inAngle = false;
  const finish = (): void => {
    const address = toAddress(element);
    if (address) found.push(address);
    element = [];
  };
  for (const token of tokens) {
    if (token.kind === 'special' && token.text === '<') inAngle = true;
    if (token.kind === 'special' && token.text === '>') inAngle = false;
    if (!inAngle && token.kind === 'special' && token.text === ',') finish();
    else if (!inAngle && token.kind === 'special' && token.text === ':') {
      // A group (RFC 5322 section 3.4): its name, then its members, up to ";".
      const name = decode(element.map((t) => t.text).join(' '));
      if (name) found.push({ name, address: null });
      element = [];
    } else if (!inAngle && token.kind === 'special' && token.text === ';') finish();
    else element.push(token);
  }
  finish();
  return found;
}

/**
 * For a sender field (From, Sender, Reply-To): "Acme, Inc <x@acme.example>" written without
 * quotes is one sender whose name has a comma, not a nameless "Acme" and "Inc". Names without
 * an address right before one with a display name are joined into its name.
 */
export function joinUnquotedSender(list: Address[]): Address[] {
  const last = list.at(-1);
  if (list.length < 2 || !last?.address || !last.name) return list;
  if (!list.slice(0, -1).every((entry) => entry.address === null && entry.name)) return list;
  return [
    {
      name: [...list.slice(0, -1).map((entry) => entry.name), last.name].join(', '),
      address: last.address,
    },
  ];
}
