import type { FetchQueryObject } from 'imapflow';
import { headerFieldsItem } from '../imap/command-line.js';
import type { Select } from '../rows/select.js';

/**
 * The FETCH items a select needs (RFC 3501 section 6.4.5). Envelope rows take ENVELOPE,
 * BODYSTRUCTURE, FLAGS, INTERNALDATE, RFC822.SIZE and the References header: no body byte.
 * Only select "full" or raw adds BODY.PEEK[] (PEEK, so \Seen never changes).
 */
export function fetchFields(select: Select, capabilities: { has(name: string): boolean }): FetchQueryObject {
  const query: FetchQueryObject = {
    uid: true,
    flags: true,
    internalDate: true,
    size: true,
    envelope: true,
    bodyStructure: true,
    headers: ['references', ...select.headers.map((h) => h.toLowerCase())],
  };
  if (capabilities.has('X-GM-EXT-1')) {
    query.labels = true;
    query.threadId = true;
  }
  if (select.level === 'full' || select.raw) query.source = true;
  return query;
}

/** UIDs (ascending) -> the shortest sequence-set text, e.g. 1:4,7,9:10. */
export function toUidSet(uids: number[]): string {
  const parts: string[] = [];
  let start = uids[0];
  let previous = start;
  for (const uid of [...uids.slice(1), undefined]) {
    if (uid !== undefined && previous !== undefined && uid === previous + 1) {
      previous = uid;
      continue;
    }
    if (start !== undefined) parts.push(start === previous ? `${start}` : `${start}:${previous}`);
    start = uid;
    previous = uid;
  }
  return parts.join(',');
}

/** A FetchQueryObject as the FETCH item list imapflow would send for it (RFC 3501 section 6.4.5). */
export function fetchItemsText(query: FetchQueryObject): string {
  const items: string[] = [];
  if (query.uid) items.push('UID');
  if (query.flags) items.push('FLAGS');
  if (query.internalDate) items.push('INTERNALDATE');
  if (query.size) items.push('RFC822.SIZE');
  if (query.envelope) items.push('ENVELOPE');
  if (query.bodyStructure) items.push('BODYSTRUCTURE');
  if (query.labels) items.push('X-GM-LABELS');
  if (query.threadId) items.push('X-GM-THRID');
  if (Array.isArray(query.headers) && query.headers.length > 0) items.push(headerFieldsItem(query.headers));
  if (query.source) items.push('BODY.PEEK[]');
  return `(${items.join(' ')})`;
}
