/**
 * The one place that builds the command lines the connector writes to the socket itself
 * (imapflow compiles and checks the rest). Every piece is validated for its grammar, and the
 * finished line is refused if it could carry a line end or NUL: a value from a config, query
 * or option can then never end the command early and start another (issue 9).
 */
import { makeError } from '../errors.js';

// RFC 3501 section 9: ATOM-CHAR is any CHAR except atom-specials "(" ")" "{" SP CTL
// list-wildcards "%" "*" quoted-specials DQUOTE "\" and resp-specials "]".
const ATOM = /^[\x21\x23-\x24\x26-\x27\x2b-\x5b\x5e-\x7a\x7c\x7e]+$/;
// RFC 5322 section 3.6.8: field-name = 1*ftext, printable ASCII without ":". Narrowed to
// atoms, so a name is sent as is inside HEADER.FIELDS (...); no real header needs more.
const HEADER_FIELD_NAME = /^[\x21\x23-\x24\x26-\x27\x2b-\x39\x3b-\x5b\x5e-\x7a\x7c\x7e]+$/;
// RFC 3501 section 9 sequence-set, without "$" (RFC 5182), which the connector never sends.
const SEQUENCE_SET = /^(?:\d+|\*)(?::(?:\d+|\*))?(?:,(?:\d+|\*)(?::(?:\d+|\*))?)*$/;
const LINE_BREAKING = /[\r\n\0]/;

/** True for an IMAP atom (RFC 3501 section 9). */
export function isAtom(value: string): boolean {
  return ATOM.test(value);
}

/** True for a flag or keyword: an atom, or "\\" and an atom for system flags (RFC 3501 section 9). */
export function isFlag(value: string): boolean {
  return ATOM.test(value.startsWith('\\') ? value.slice(1) : value);
}

/** True for a header field name that can be sent as an atom (RFC 5322 section 3.6.8). */
export function isHeaderFieldName(value: string): boolean {
  return HEADER_FIELD_NAME.test(value);
}

/** True for a sequence set such as 1:4,7,9:* (RFC 3501 section 9). */
export function isSequenceSet(value: string): boolean {
  return SEQUENCE_SET.test(value);
}

/**
 * The BODY.PEEK[HEADER.FIELDS (...)] item for these header names.
 * @throws QUERY_INVALID naming the first name that is not a header field name.
 */
export function headerFieldsItem(names: readonly string[]): string {
  for (const name of names) {
    if (!isHeaderFieldName(name)) throw invalidHeaderName(name);
  }
  return `BODY.PEEK[HEADER.FIELDS (${names.join(' ')})]`;
}

// A MIME part's section number (RFC 3501 section 6.4.5): digits and dots, from the BODYSTRUCTURE.
// A part number, or a part's MIME header (RFC 3501 section 6.4.5: "1.2.MIME").
const SECTION = /^[1-9]\d{0,5}(\.[1-9]\d{0,5}){0,31}(\.MIME)?$/;

/** BODY.PEEK[section] of one MIME part; a section that is not one is refused, never sent. */
export function bodyPartItem(section: string): string {
  if (!SECTION.test(section))
    throw makeError('PROTOCOL_ERROR', `${JSON.stringify(section)} is not a MIME section number.`, {
      details: { section },
    });
  return `BODY.PEEK[${section}]`;
}

/** QUERY_INVALID for a header name a FETCH cannot carry; the name is shown JSON-escaped. */
export function invalidHeaderName(name: string): ReturnType<typeof makeError> {
  return makeError(
    'QUERY_INVALID',
    `${JSON.stringify(name)} is not a header field name: use printable ASCII without spaces, ":" or any of ( ) { } % * " \\ ]`,
    { field: '/headers', details: { header: name } },
  );
}

/**
 * `TAG UID FETCH set (items)` as sent: the tag must be an atom, the set a sequence set, and
 * the items a parenthesised list whose tokens were built by this module's helpers.
 * @throws INTERNAL when a piece breaks its grammar: a bug, never sent.
 */
export function uidFetchLine(tag: string, uidSet: string, items: string): string {
  if (!isAtom(tag)) throw refused('tag');
  if (!isSequenceSet(uidSet)) throw refused('UID set');
  if (!/^\(.*\)$/s.test(items)) throw refused('FETCH item list');
  return checkedLine(`${tag} UID FETCH ${uidSet} ${items}`);
}

// RFC 3501 section 9 quoted: any TEXT-CHAR, with DQUOTE and "\\" escaped. Narrowed to printable
// ASCII: a mailbox name arrives here in modified UTF-7, a date is digits and letters.
const QUOTABLE = /^[\x20-\x7e]*$/;

/** A quoted string (RFC 3501 section 4.3). @throws INTERNAL for a value it cannot carry. */
export function quoted(value: string): string {
  if (!QUOTABLE.test(value)) throw refused('quoted string');
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * `TAG APPEND "mailbox"`, the head of a MULTIAPPEND (RFC 3502) whose messages follow, each as
 * appendedMessageHead() and its literal; the command ends with CRLF after the last literal.
 */
export function appendLine(tag: string, encodedMailbox: string): string {
  if (!isAtom(tag)) throw refused('tag');
  return checkedLine(`${tag} APPEND ${quoted(encodedMailbox)}`);
}

/**
 * ` (flags) "date" {size+}` and the CRLF before one message's bytes: a non-synchronizing
 * literal (LITERAL+, RFC 7888), so the server's "+" is never waited for.
 */
export function appendedMessageHead(
  flags: readonly string[],
  dateTime: string | undefined,
  size: number,
): string {
  if (!flags.every(isFlag)) throw refused('flag');
  if (!Number.isSafeInteger(size) || size < 0) throw refused('literal size');
  const date = dateTime === undefined ? '' : ` ${quoted(dateTime)}`;
  return `${checkedLine(` (${flags.join(' ')})${date} {${size}+}`)}\r\n`;
}

/**
 * The last guard before the socket: a line with CR, LF or NUL outside a literal would let the
 * server read a second command out of it (RFC 3501 section 2.2).
 * @throws INTERNAL, with nothing sent.
 */
export function checkedLine(line: string): string {
  if (LINE_BREAKING.test(line)) throw refused('command line (CR, LF or NUL)');
  return line;
}

function refused(what: string): ReturnType<typeof makeError> {
  return makeError('INTERNAL', `Refused to send an IMAP command with an invalid ${what}.`);
}
