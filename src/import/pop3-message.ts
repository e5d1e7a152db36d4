import type { FetchedMessage } from '../fetched-message.js';
import type { FolderInfo } from '../folder-info.js';
import { envelopeFromHeaders, headerBlockOf } from '../rows/header-envelope.js';
import { messageToRow, parseHeaderBlock } from '../rows/message-to-row.js';
import type { SourceMessage } from '../sinks/sink.js';
import { identify } from '../write/message-identity.js';

/** Where a POP3 message sits in rows and the archive: its folder, a fixed UIDVALIDITY, its id. */
export interface Pop3Place {
  account: string;
  folder: string;
  /** The job's own number for this UIDL (POP3 has no UIDs). */
  id: number;
}

export const POP3_UID_VALIDITY = 'pop3';

function validDate(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const date = new Date(text.replace(/\s*\([^)]*\)\s*$/, '').trim());
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * When the mailbox got the message: the date of the top Received field (its last part, after
 * the ";"), else the Date field. POP3 has no INTERNALDATE; this stands in for it (the date the
 * destination files it under, and what deletion by age counts from).
 */
export function receivedDate(headers: Record<string, string[]>): Date | undefined {
  const received = headers.received?.[0];
  const fromReceived = received
    ? validDate(received.slice(received.lastIndexOf(';') + 1))
    : undefined;
  return fromReceived ?? validDate(headers.date?.[0]);
}

/**
 * A retrieved POP3 message as an import stores it: exact bytes, no flags (POP3 has none), the
 * received date, its identity, and for the archive an envelope-level row read from its header.
 */
export function pop3SourceMessage(
  raw: Buffer,
  place: Pop3Place,
  keepsRows: boolean,
): SourceMessage {
  const block = headerBlockOf(raw);
  const headers = parseHeaderBlock(block);
  const date = receivedDate(headers);
  const row = keepsRows ? rowOf(raw, block, headers, date, place) : null;
  return {
    account: place.account,
    folder: place.folder,
    uidValidity: POP3_UID_VALIDITY,
    uid: place.id,
    raw,
    flags: [],
    internalDate: date,
    identity: identify(raw),
    row,
  };
}

function rowOf(
  raw: Buffer,
  block: Buffer,
  headers: Record<string, string[]>,
  date: Date | undefined,
  place: Pop3Place,
): unknown {
  const fromHeaders = envelopeFromHeaders(block);
  const plain = (list: { name: string | null; address: string | null }[]) =>
    list.map((a) => ({ name: a.name ?? '', address: a.address ?? '' }));
  const message: FetchedMessage = {
    uid: place.id,
    flags: new Set<string>(),
    ...(date ? { internalDate: date } : {}),
    size: raw.length,
    envelope: {
      ...(headers.date?.[0] !== undefined
        ? { date: validDate(headers.date[0]) ?? (headers.date[0] as never) }
        : {}),
      subject: fromHeaders.subject ?? '',
      messageId: headers['message-id']?.[0] ?? '',
      inReplyTo: headers['in-reply-to']?.[0] ?? '',
      from: plain(fromHeaders.from),
      sender: plain(fromHeaders.sender),
      replyTo: plain(fromHeaders.replyTo),
      to: plain(fromHeaders.to),
      cc: plain(fromHeaders.cc),
      bcc: plain(fromHeaders.bcc),
    },
    headers: block,
  } as FetchedMessage;
  return messageToRow(message, {
    account: place.account,
    folder: place.folder,
    uidValidity: POP3_UID_VALIDITY,
    dateTimeFormat: 'ISO8601',
  });
}

/** The destination folder as a source folder would be: INBOX maps to the destination's INBOX. */
export function pop3Folder(path: string): FolderInfo {
  return {
    path,
    name: path,
    delimiter: '/',
    specialUse: null,
    specialUseFromServer: false,
    flags: [],
    subscribed: true,
  };
}
