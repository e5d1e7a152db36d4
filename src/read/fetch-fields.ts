import type { FetchQueryObject } from 'imapflow';
import type { Select } from '../rows/select.js';

/**
 * The FETCH items a select needs (RFC 3501 section 6.4.5). Envelope rows take ENVELOPE,
 * BODYSTRUCTURE, FLAGS, INTERNALDATE, RFC822.SIZE and the References header: no body byte.
 * Only raw adds BODY.PEEK[] (PEEK, so \Seen never changes); text and full rows fetch their
 * MIME parts by section after this.
 */
export function fetchFields(
  select: Select,
  capabilities: { has(name: string): boolean },
): FetchQueryObject {
  const query: FetchQueryObject = {
    uid: true,
    flags: true,
    internalDate: true,
    size: true,
    envelope: true,
    bodyStructure: true,
    headers: [
      'references',
      // Text and full rows check the server's BODYSTRUCTURE against it (rows/structure-check.ts).
      ...(select.level === 'envelope' ? [] : ['content-type']),
      ...select.headers.map((h) => h.toLowerCase()),
    ],
  };
  if (capabilities.has('X-GM-EXT-1')) {
    query.labels = true;
    query.threadId = true;
  }
  // Bodies are fetched part by part (read-page.ts), from the BODYSTRUCTURE asked for here.
  if (select.raw) query.source = true;
  return query;
}
