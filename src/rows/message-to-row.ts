import type { FetchedMessage } from '../fetched-message.js';

export type { FetchedMessage };
import { toAddresses } from './addresses.js';
import { attachmentsFromStructure } from './attachments.js';
import { formatDate } from './format-date.js';
import {
  envelopeFromHeaders,
  envelopeNeedsHeaders,
  headerBlockOf,
  type HeaderEnvelope,
} from './header-envelope.js';
import type { ParsedBody } from './parse-body.js';
import type { Address, Attachment, Row } from './row.js';
import { MESSAGE_LIMITS, type MessageProblem } from '../message-limits.js';

/** Where a message was read, and how dates are written. */
export interface RowContext {
  /** user@host, as the row's account. */
  account: string;
  folder: string;
  uidValidity: string;
  dateTimeFormat: string;
}

function toDate(value: Date | string | undefined): Date | null {
  if (value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Raw header lines (RFC 5322 section 2.2.3 folding undone) -> lower-case name -> values. */
export function parseHeaderBlock(block: Buffer | undefined): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  if (!block) return headers;
  const unfolded = block.toString('utf8').replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  return headers;
}

function messageIds(value: string | undefined): string[] {
  return value ? (value.match(/<[^<>\s]+>/g) ?? []) : [];
}

// The id up to the UID is the same for every row of a folder: encoded once per folder, not
// per row (25 ms of a 10,000-message envelope read).
let idPrefix: { account: string; folder: string; uidValidity: string; prefix: string } | undefined;

/** A message's row id: its IMAP URL (RFC 5092), stable for as long as its UIDVALIDITY. */
export function rowId(
  ctx: Pick<RowContext, 'account' | 'folder' | 'uidValidity'>,
  uid: number,
): string {
  const { account, folder, uidValidity } = ctx;
  if (
    idPrefix?.account !== account ||
    idPrefix.folder !== folder ||
    idPrefix.uidValidity !== uidValidity
  ) {
    // RFC 5092 section 6: imap://<iuserinfo>@<host>/<enc-mailbox>;UIDVALIDITY=<n>/;UID=<n>
    const user = account.split('@').map(encodeURIComponent).join('@');
    const prefix = `imap://${user}/${encodeURIComponent(folder)};UIDVALIDITY=${uidValidity}/;UID=`;
    idPrefix = { account, folder, uidValidity, prefix };
  }
  return `${idPrefix.prefix}${uid}`;
}

function mergeBodyAttachments(
  fromStructure: Attachment[],
  parsed: ParsedBody,
  warnings: string[],
): Attachment[] {
  // Select "text" downloads no attachment: their size and hash stay unknown, not undecodable.
  if (parsed.attachments === null) return fromStructure;
  const pool = [...parsed.attachments];
  return fromStructure.map((attachment) => {
    // Fetched by section: the same part of the same tree. From a whole-source parse: the
    // closest match by type and name.
    const index = pool.findIndex((p) =>
      p.part !== undefined
        ? p.part === attachment.part
        : p.contentType === attachment.contentType &&
          (p.filename === attachment.filename || attachment.filename === null),
    );
    if (index < 0) {
      warnings.push(`attachment part ${attachment.part} could not be decoded`);
      return attachment;
    }
    const [decoded] = pool.splice(index, 1);
    return {
      ...attachment,
      size: decoded!.size,
      sha256: decoded!.sha256,
      ...(decoded!.content !== undefined ? { content: decoded!.content } : {}),
    };
  });
}

/**
 * Subject and addresses from the header bytes when the ENVELOPE shows it could not carry them
 * (header-envelope.ts): from the full source, or the header fields fetched for it.
 */
function trustedEnvelope(message: FetchedMessage, warnings: string[]): HeaderEnvelope | undefined {
  if (!envelopeNeedsHeaders(message.envelope)) return undefined;
  const block = message.source ? headerBlockOf(message.source) : message.envelopeHeaders;
  if (block) return envelopeFromHeaders(block);
  warnings.push(
    "the server's ENVELOPE has placeholders or non-ASCII text that could not be checked against the header",
  );
  return undefined;
}

const ADDRESS_FIELDS = ['from', 'sender', 'replyTo', 'to', 'cc', 'bcc'] as const;

/**
 * Address fields beyond MESSAGE_LIMITS.addressesPerField keep their first addresses; the row
 * then says so as its error (a message to 100,000 recipients must not make a 5 MB row).
 */
function addressProblem(row: Row): MessageProblem | undefined {
  const max = MESSAGE_LIMITS.addressesPerField;
  const over = ADDRESS_FIELDS.filter((field) => row[field].length > max);
  if (over.length === 0) return undefined;
  const counts = over.map((field) => `${field} has ${row[field].length}`).join(', ');
  for (const field of over) row[field] = row[field].slice(0, max) as Address[];
  return {
    code: 'MESSAGE_UNPARSABLE',
    message: `The message names more addresses than the connector keeps (${counts}); the row lists the first ${max} of each.`,
  };
}

/**
 * FETCH answer (and, for select "full", the parsed body) -> row. Deterministic: no clock,
 * sorted flags, UTC dates, bigint as string. A missing or unreadable Date header falls back
 * to the internal date with a warning; it never becomes "now" (mailparser would do that).
 */
export function messageToRow(
  message: FetchedMessage,
  ctx: RowContext,
  body?: ParsedBody,
  extraHeaders: string[] = [],
): Row {
  const warnings: string[] = [...(body?.warnings ?? [])];
  const envelope = message.envelope ?? {};
  const headers = parseHeaderBlock(message.headers);
  const headerDate = toDate(envelope.date);
  const internalDate = toDate(message.internalDate);
  if (envelope.date === undefined) warnings.push('no Date header; date is the internal date');
  else if (headerDate === null)
    warnings.push(
      `unreadable Date header ${JSON.stringify(String(envelope.date))}; date is the internal date`,
    );
  if (!envelope.messageId) warnings.push('no Message-ID header');
  const trusted = trustedEnvelope(message, warnings);
  const structureAttachments = attachmentsFromStructure(message.bodyStructure);
  const attachments = body
    ? mergeBodyAttachments(structureAttachments, body, warnings)
    : structureAttachments;
  const row: Row = {
    id: rowId(ctx, message.uid),
    account: ctx.account,
    folder: ctx.folder,
    uidValidity: ctx.uidValidity,
    uid: message.uid,
    messageId: envelope.messageId || null,
    inReplyTo: envelope.inReplyTo || null,
    references: messageIds(headers.references?.join(' ')),
    subject: trusted ? trusted.subject : (envelope.subject ?? null),
    from: trusted ? trusted.from : toAddresses(envelope.from),
    sender: trusted ? trusted.sender : toAddresses(envelope.sender),
    replyTo: trusted ? trusted.replyTo : toAddresses(envelope.replyTo),
    to: trusted ? trusted.to : toAddresses(envelope.to),
    cc: trusted ? trusted.cc : toAddresses(envelope.cc),
    bcc: trusted ? trusted.bcc : toAddresses(envelope.bcc),
    date: formatDate(headerDate ?? internalDate, ctx.dateTimeFormat),
    headerDate: formatDate(headerDate, ctx.dateTimeFormat),
    internalDate: formatDate(internalDate, ctx.dateTimeFormat),
    size: typeof message.size === 'number' ? message.size : null,
    flags: rowFlags(message.flags ?? []),
    labels: message.labels ? [...message.labels].sort() : null,
    threadId: message.threadId ?? null,
    hasAttachments: attachments.length > 0,
    attachments,
    parseWarnings: warnings,
  };
  if (body) {
    row.text = body.text;
    row.html = body.html;
  }
  const problem = message.problem ?? body?.problem ?? addressProblem(row);
  if (problem) {
    row.error = problem;
    if (!warnings.includes(problem.message)) warnings.push(problem.message);
  }
  if (extraHeaders.length > 0) {
    row.headers = Object.fromEntries(
      extraHeaders.map((name) => [name.toLowerCase(), headers[name.toLowerCase()] ?? []]),
    );
  }
  return row;
}

/**
 * A message's flags as rows and import states keep them: sorted, without \Recent, which is
 * session state (RFC 3501 section 2.3.2, gone in RFC 9051) and would make the same message
 * look different depending on who looked first.
 */
export function rowFlags(flags: Iterable<string>): string[] {
  return [...flags].filter((flag) => flag.toLowerCase() !== '\\recent').sort();
}
