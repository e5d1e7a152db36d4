/**
 * Subject and addresses from the header bytes where the server's ENVELOPE cannot be trusted
 * (issue 13). The ENVELOPE is the cheap source and right for almost all mail; it is wrong in
 * two recognisable ways: placeholders standing in for a missing mailbox or domain (Dovecot's
 * MISSING_MAILBOX, MISSING_DOMAIN, SYNTAX_ERROR; UW and Cyrus's .MISSING-HOST-NAME.), and text
 * spoiled by decoding a string rather than bytes (raw 8-bit bytes inside an encoded word, or
 * bytes that are not UTF-8: U+FFFD, or "ï¿½").
 * Those messages take these fields from the header itself, the same way whether the header
 * came with the full source or was fetched on its own.
 */
import type { FetchedMessage } from '../fetched-message.js';
import { joinUnquotedSender, parseAddressList } from './header-addresses.js';
import { decodeHeaderText } from './header-words.js';
import type { Address, Row } from './row.js';

/** The header fields this module reads: asked for with BODY.PEEK[HEADER.FIELDS (...)]. */
export const ENVELOPE_HEADERS = ['subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc'];

const PLACEHOLDER = /MISSING_MAILBOX|MISSING_DOMAIN|SYNTAX_ERROR|\.MISSING-HOST-NAME\./;
// What text decoded from a string instead of its bytes shows: the replacement character, or
// its UTF-8 bytes read as ISO-8859-1. Clean non-ASCII text (encoded words, RFC 6532 UTF-8)
// comes through an ENVELOPE intact and needs nothing more.
// Also UTF-8 bytes read one by one as ISO-8859-1 ("J\u00C3\u00BCrgen"): a name with one stray
// byte among UTF-8 ones, which the server could not read as UTF-8 (issue 24).
const SPOILED =
  /\uFFFD|\u00EF\u00BF\u00BD|[\u00C2-\u00DF][\u0080-\u00BF]|[\u00E0-\u00EF][\u0080-\u00BF]{2}/;

type Envelope = NonNullable<FetchedMessage['envelope']>;
type EnvelopeAddress = { name?: string; address?: string };

const ADDRESS_FIELDS = ['from', 'sender', 'replyTo', 'to', 'cc', 'bcc'] as const;

/** Whether a message's ENVELOPE shows one of the marks of a value it could not carry. */
export function envelopeNeedsHeaders(envelope: Envelope | undefined): boolean {
  if (!envelope) return false;
  if (envelope.subject && SPOILED.test(envelope.subject)) return true;
  return ADDRESS_FIELDS.some((field) =>
    ((envelope[field] ?? []) as EnvelopeAddress[]).some(
      (entry) =>
        PLACEHOLDER.test(entry.address ?? '') ||
        (entry.name !== undefined && SPOILED.test(entry.name)),
    ),
  );
}

/** The row fields an ENVELOPE gives that header bytes can give instead. */
export type HeaderEnvelope = Pick<
  Row,
  'subject' | 'from' | 'sender' | 'replyTo' | 'to' | 'cc' | 'bcc'
>;

/** The header block of a full source: everything before the first empty line. */
export function headerBlockOf(source: Buffer): Buffer {
  for (const separator of ['\r\n\r\n', '\n\n']) {
    const end = source.indexOf(separator);
    if (end >= 0) return source.subarray(0, end + separator.length / 2);
  }
  return source;
}

/** Header bytes -> lower-case name -> first value's bytes, folding undone. */
function fieldsOf(block: Buffer): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  const text = block.toString('latin1').replace(/\r?\n[ \t]/g, ' ');
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, Buffer.from(line.slice(colon + 1), 'latin1'));
  }
  return fields;
}

/**
 * The ENVELOPE's fields from header bytes. Sender and Reply-To default to From, as an
 * ENVELOPE has them (RFC 3501 section 7.4.2).
 */
export function envelopeFromHeaders(block: Buffer): HeaderEnvelope {
  const fields = fieldsOf(block);
  const list = (name: string): Address[] => {
    const value = fields.get(name);
    return value ? parseAddressList(value) : [];
  };
  const subject = fields.get('subject');
  const from = joinUnquotedSender(list('from'));
  return {
    subject: subject ? decodeHeaderText(subject).trim() : null,
    from,
    sender: fields.has('sender') ? joinUnquotedSender(list('sender')) : from,
    replyTo: fields.has('reply-to') ? joinUnquotedSender(list('reply-to')) : from,
    to: list('to'),
    cc: list('cc'),
    bcc: list('bcc'),
  };
}
