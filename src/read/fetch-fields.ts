import type { FetchQueryObject } from 'imapflow';
import type { Select } from '../rows/select.js';

/**
 * The FETCH items a select needs (RFC 3501 section 6.4.5). Envelope rows take ENVELOPE,
 * BODYSTRUCTURE, FLAGS, INTERNALDATE, RFC822.SIZE and the References header: no body byte.
 * Only select "full" adds BODY.PEEK[] (PEEK, so \Seen never changes).
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
  if (select.level === 'full') query.source = true;
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
