import type { FetchQueryObject } from 'imapflow';
import { bodyPartItem, headerFieldsItem } from './command-line.js';

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
  if (Array.isArray(query.headers) && query.headers.length > 0)
    items.push(headerFieldsItem(query.headers));
  else if (query.headers === true) items.push('BODY.PEEK[HEADER]');
  for (const section of query.bodyParts ?? []) items.push(bodyPartItem(String(section)));
  if (query.source) items.push(`BODY.PEEK[]${partialOf(query.source)}`);
  return `(${items.join(' ')})`;
}

/** `<start.length>` of a partial source (RFC 3501 section 6.4.5), or nothing for the whole. */
function partialOf(source: FetchQueryObject['source']): string {
  if (typeof source !== 'object') return '';
  const start = source.start ?? 0;
  const length = source.maxLength ?? 0;
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(length) || length < 1)
    throw new Error(`Not a partial FETCH range: ${start}.${length}`);
  return `<${start}.${length}>`;
}
