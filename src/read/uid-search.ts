import type { ImapFlow } from 'imapflow';
import { makeError, type ConnectorError } from '../errors.js';
import type { SearchAttribute } from '../query/render-search.js';
import { redactText } from '../config/redact.js';
import { classifyError, type ErrorContext } from '../imap/classify-error.js';
import { withCommandDeadline } from '../imap/command-deadline.js';

interface UntaggedResponse {
  attributes?: { value?: unknown }[];
}

type Exec = (
  command: string,
  attributes: SearchAttribute[],
  options: { untagged: Record<string, (response: UntaggedResponse) => Promise<void>> },
) => Promise<{ next(): void }>;

function addSearchResults(response: UntaggedResponse, into: Set<number>): void {
  for (const attribute of response.attributes ?? []) {
    const uid = Number(attribute.value);
    if (Number.isInteger(uid) && uid > 0) into.add(uid);
  }
}

// RFC 4731 / RFC 9051 servers may answer with ESEARCH (TAG "x") UID ALL 1:5,9.
function addEsearchResults(response: UntaggedResponse, into: Set<number>): void {
  const values = (response.attributes ?? []).map((a) => (typeof a?.value === 'string' ? a.value : ''));
  const at = values.findIndex((v) => v.toUpperCase() === 'ALL');
  for (const part of (values[at + 1] ?? '').split(',')) {
    if (at < 0 || !part) continue;
    const [from, to = from] = part.split(':').map(Number) as [number, number?];
    for (let uid = Math.min(from, to); uid <= Math.max(from, to); uid++) into.add(uid);
  }
}

/**
 * The UID SEARCH arguments as sent. With ESEARCH (RFC 4731), RETURN (ALL) makes the server
 * answer with a compact set (1:60000) instead of 60,000 numbers on one line, which imapflow's
 * parser would take most of a second to read on a large folder.
 */
export function searchArguments(client: ImapFlow, attributes: SearchAttribute[]): SearchAttribute[] {
  return client.capabilities.has('ESEARCH') ? [{ type: 'ATOM', value: 'RETURN' }, [{ type: 'ATOM', value: 'ALL' }], ...attributes] : attributes;
}

/**
 * A failed UID SEARCH -> its code: BADCHARSET (RFC 3501 section 7.1) means the server cannot
 * search non-ASCII text; other NO/BAD answers are a refused search; the rest is the session's.
 */
export function toSearchError(error: unknown, ctx: ErrorContext): ConnectorError {
  const raw = error as { serverResponseCode?: string; responseStatus?: string; responseText?: string };
  if (raw.serverResponseCode === 'BADCHARSET') {
    return makeError('QUERY_UNSUPPORTED', 'The server cannot search for non-ASCII text (it refused CHARSET UTF-8).', { field: '/query', details: { serverResponseCode: 'BADCHARSET' }, cause: error });
  }
  if (raw.responseStatus === 'NO' || raw.responseStatus === 'BAD') {
    return makeError('SEARCH_REJECTED', `The server refused the search (${raw.responseStatus}).`, { field: '/query', details: { responseStatus: raw.responseStatus, responseText: redactText(raw.responseText ?? '', ctx.secrets) }, cause: error });
  }
  return classifyError(error, ctx);
}

/**
 * UID SEARCH with arguments compiled by query/render-search.ts, on the selected folder; UIDs
 * ascending. imapflow's search() takes only its own query object, which cannot hold repeated
 * keys or groups, so the compiled arguments go through imapflow's command runner (exec, an
 * internal method of the pinned imapflow 2.1.2; test/unit/dependencies.test.ts checks it).
 * @throws QUERY_UNSUPPORTED on BADCHARSET, SEARCH_REJECTED on other NO/BAD answers.
 */
export async function uidSearch(client: ImapFlow, attributes: SearchAttribute[], ctx: ErrorContext): Promise<number[]> {
  const exec = (client as unknown as { exec: Exec }).exec.bind(client);
  const uids = new Set<number>();
  try {
    const response = await withCommandDeadline({ client, errorContext: ctx }, 'UID SEARCH', () =>
      exec('UID SEARCH', searchArguments(client, attributes), {
        untagged: {
          SEARCH: async (untagged) => addSearchResults(untagged, uids),
          ESEARCH: async (untagged) => addEsearchResults(untagged, uids),
        },
      }),
    );
    response.next();
  } catch (error) {
    throw toSearchError(error, ctx);
  }
  return [...uids].sort((a, b) => a - b);
}
