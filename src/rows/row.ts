import type { MessageProblem } from '../message-limits.js';

/** One message as a row (schemas/row.schema.json). Same message, same row, on every run. */
export interface Address {
  name: string | null;
  address: string | null;
}

export interface Attachment {
  /** MIME part number (BODYSTRUCTURE), e.g. "2" or "1.3". */
  part: string;
  filename: string | null;
  contentType: string;
  disposition: string | null;
  contentId: string | null;
  /** Bytes as stored on the server (transfer-encoded), from BODYSTRUCTURE. */
  encodedSize: number | null;
  /** Decoded bytes; only when bodies were fetched (select "full"). */
  size: number | null;
  /** SHA-256 of the decoded content, hex; only when bodies were fetched. */
  sha256: string | null;
  /** Base64 content; only when asked for, and null above the size cap (see parseWarnings). */
  content?: string | null;
}

export type DateValue = string | number | null;

export interface Row {
  /** RFC 5092 IMAP URL: imap://user@host/folder;UIDVALIDITY=n/;UID=n, stable while UIDVALIDITY is. */
  id: string;
  account: string;
  folder: string;
  uidValidity: string;
  uid: number;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string | null;
  from: Address[];
  sender: Address[];
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  /** The Date header, or the internal date when the header is missing or unreadable. */
  date: DateValue;
  headerDate: DateValue;
  internalDate: DateValue;
  size: number | null;
  flags: string[];
  labels: string[] | null;
  threadId: string | null;
  hasAttachments: boolean;
  attachments: Attachment[];
  text?: string | null;
  html?: string | null;
  headers?: Record<string, string[]>;
  /** The exact source, base64 (select option raw). */
  raw?: string;
  parseWarnings: string[];
  /** Only when the message could not be read whole: why (issue 24); the fields hold what was read. */
  error?: MessageProblem;
}
