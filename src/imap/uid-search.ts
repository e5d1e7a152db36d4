import type { ImapFlow } from 'imapflow';
import { redactText } from '../config/redact.js';
import { isConnectorError, makeError, type ConnectorError } from '../errors.js';
import { borrowSocket, canBorrowSocket, nextTag, type Consumed } from './borrow-socket.js';
import { classifyError, responseCodeOf, type ErrorContext } from './classify-error.js';
import { withCommandDeadline } from './command-deadline.js';
import { logAnswer, taggedError } from './fetch-response-parser.js';
import { compileCommand, execCommand, type ImapAttribute } from './imapflow-internals.js';
import type { Session } from './open-session.js';
import { SearchResponseParser } from './search-response-parser.js';

interface UntaggedResponse {
  attributes?: { value?: unknown }[];
}

function searchJunk(what: string): ConnectorError {
  return makeError(
    'PROTOCOL_ERROR',
    `The server answered UID SEARCH with ${what}, which is not a UID.`,
    { details: { problem: what } },
  );
}

// nz-number (RFC 3501 section 9), at most 32 bits.
const UID = /^[1-9]\d{0,9}$/;

function addSearchResults(response: UntaggedResponse, into: Set<number>, limit: number): void {
  if ((response.attributes?.length ?? 0) + into.size > limit)
    throw searchJunk(`more UIDs than the folder has messages (${limit})`);
  for (const attribute of response.attributes ?? []) {
    const text = typeof attribute.value === 'string' ? attribute.value : '';
    if (!UID.test(text) || Number(text) > 0xffffffff)
      throw searchJunk(JSON.stringify(text.slice(0, 20)));
    into.add(Number(text));
  }
}

// RFC 4731 / RFC 9051 servers may answer with ESEARCH (TAG "x") UID ALL 1:5,9.
// A sequence set of nz-numbers, as ESEARCH ALL gives it: 1:5,9.
const UID_SET = /^[1-9]\d{0,9}(:[1-9]\d{0,9})?(,[1-9]\d{0,9}(:[1-9]\d{0,9})?)*$/;

function addEsearchResults(response: UntaggedResponse, into: Set<number>, limit: number): void {
  const values = (response.attributes ?? []).map((a) =>
    typeof a?.value === 'string' ? a.value : '',
  );
  const at = values.findIndex((v) => v.toUpperCase() === 'ALL');
  if (at < 0) return;
  const set = values[at + 1] ?? '';
  if (!UID_SET.test(set)) throw searchJunk(JSON.stringify(set.slice(0, 40)));
  for (const part of set.split(',')) {
    const [from, to = from] = part.split(':').map(Number) as [number, number?];
    // Never expand a range the folder cannot hold: 1:4294967295 from a broken server.
    if (into.size + Math.abs(to - from) + 1 > limit)
      throw searchJunk(`more UIDs than the folder has messages (${limit})`);
    for (let uid = Math.min(from, to); uid <= Math.max(from, to); uid++) into.add(uid);
  }
}

/**
 * The UID SEARCH arguments as sent. With ESEARCH (RFC 4731), RETURN (ALL) makes the server
 * answer with a compact set (1:60000) instead of 60,000 numbers on one line, which imapflow's
 * parser would take most of a second to read on a large folder.
 */
export function searchArguments(
  client: ImapFlow,
  attributes: readonly ImapAttribute[],
): readonly ImapAttribute[] {
  return client.capabilities.has('ESEARCH')
    ? [{ type: 'ATOM', value: 'RETURN' }, [{ type: 'ATOM', value: 'ALL' }], ...attributes]
    : attributes;
}

/**
 * A failed UID SEARCH -> its code: BADCHARSET (RFC 3501 section 7.1) means the server cannot
 * search non-ASCII text; other NO/BAD answers are a refused search; the rest is the session's.
 */
export function toSearchError(error: unknown, ctx: ErrorContext): ConnectorError {
  const raw = error as { responseStatus?: string; responseText?: string };
  if (responseCodeOf(error) === 'BADCHARSET') {
    return makeError(
      'QUERY_UNSUPPORTED',
      'The server cannot search for non-ASCII text (it refused CHARSET UTF-8).',
      { field: '/query', details: { serverResponseCode: 'BADCHARSET' }, cause: error },
    );
  }
  // A throttled or dropped session is the session's problem, not the query's.
  const classified = classifyError(error, ctx);
  if (classified.code !== 'INTERNAL' && classified.code !== 'COMMAND_REFUSED') return classified;
  if (raw.responseStatus === 'NO' || raw.responseStatus === 'BAD') {
    return makeError('SEARCH_REJECTED', `The server refused the search (${raw.responseStatus}).`, {
      field: '/query',
      details: {
        responseStatus: raw.responseStatus,
        responseText: redactText(raw.responseText ?? '', ctx.secrets),
      },
      cause: error,
    });
  }
  return classifyError(error, ctx);
}

/**
 * UID SEARCH on the borrowed socket with the streaming reader (search-response-parser.ts):
 * memory is the UIDs found, however the server formats them. Only for a command without
 * literals (a search value with a line end needs imapflow's continuation handling).
 */
async function streamedSearch(
  session: SearchSession,
  attributes: readonly ImapAttribute[],
): Promise<number[] | undefined> {
  const { client, logger } = session;
  const tag = nextTag();
  const parts = await compileCommand(tag, 'UID SEARCH', searchArguments(client, attributes));
  if (parts.length !== 1) return undefined;
  const parser = new SearchResponseParser(tag, searchLimit(client));
  const line = parts[0]!.toString('utf8');
  return withCommandDeadline(session, 'UID SEARCH', () =>
    borrowSocket(
      client,
      line,
      (chunk): Consumed<number[]> => {
        const end = parser.push(chunk);
        if (!end) return { done: false };
        logAnswer(logger, end.result);
        return end.result.status === 'OK'
          ? { done: true, value: parser.uids(), rest: end.rest }
          : { done: true, error: taggedError('UID SEARCH', end.result), rest: end.rest };
      },
      logger,
    ),
  );
}

/** A search of the selected folder finds at most the messages it has (EXISTS). */
function searchLimit(client: ImapFlow): number {
  return client.mailbox ? client.mailbox.exists : Number.POSITIVE_INFINITY;
}

/** What a search needs of a session: the client, its error context, its logger and signal. */
export type SearchSession = Pick<
  Session,
  'client' | 'errorContext' | 'commandTimeoutMs' | 'logger' | 'signal'
>;

/**
 * UID SEARCH with arguments compiled by query/render-search.ts, on the selected folder; UIDs
 * ascending. Streamed on the borrowed socket where the session can lend it; else through
 * imapflow's command runner (exec, an internal method of the pinned imapflow 2.1.2;
 * test/unit/dependencies.test.ts checks it), since imapflow's search() takes only its own
 * query object, which cannot hold repeated keys or groups.
 * @throws QUERY_UNSUPPORTED on BADCHARSET, SERVER_THROTTLED, SEARCH_REJECTED on other NO/BAD
 *   answers, PROTOCOL_ERROR for an answer that names no UIDs or more than the folder has.
 */
export async function uidSearch(
  session: SearchSession,
  attributes: readonly ImapAttribute[],
): Promise<number[]> {
  const { client, errorContext: ctx } = session;
  try {
    if (STREAMED_SEARCH && canBorrowSocket(client)) {
      const streamed = await streamedSearch(session, attributes);
      if (streamed) return streamed;
    }
    return await execSearch(session, attributes);
  } catch (error) {
    throw isConnectorError(error) && error.code !== 'INTERNAL' ? error : toSearchError(error, ctx);
  }
}

// IMAP_CONNECTOR_BULK_FETCH=off sends every command through imapflow (see read-page.ts).
const STREAMED_SEARCH = process.env.IMAP_CONNECTOR_BULK_FETCH !== 'off';

/** UID SEARCH through imapflow's exec(); the same checks on what the server names. */
async function execSearch(
  session: SearchSession,
  attributes: readonly ImapAttribute[],
): Promise<number[]> {
  const { client } = session;
  const uids = new Set<number>();
  const limit = searchLimit(client);
  // imapflow does not pass on an error thrown by an untagged handler: keep the first one.
  let junk: ConnectorError | undefined;
  const collect = (add: () => void): void => {
    try {
      if (!junk) add();
    } catch (error) {
      junk = error as ConnectorError;
    }
  };
  const response = await withCommandDeadline(session, 'UID SEARCH', () =>
    execCommand(client, 'UID SEARCH', searchArguments(client, attributes), {
      SEARCH: async (untagged) => collect(() => addSearchResults(untagged, uids, limit)),
      ESEARCH: async (untagged) => collect(() => addEsearchResults(untagged, uids, limit)),
    }),
  );
  response.next();
  if (junk) throw junk;
  return [...uids].sort((a, b) => a - b);
}

/**
 * The UIDs above `lastUid` that the criteria match, ascending: where a read or an import
 * goes on from its checkpoint. "UID n:*" also matches the highest UID when n is above it
 * (RFC 3501 section 6.4.8), so the answer is filtered.
 */
export async function uidsAbove(
  session: SearchSession,
  criteria: readonly ImapAttribute[],
  lastUid: number,
): Promise<number[]> {
  const attributes = [
    ...criteria,
    { type: 'ATOM' as const, value: 'UID' },
    { type: 'SEQUENCE' as const, value: `${lastUid + 1}:*` },
  ];
  return (await uidSearch(session, attributes)).filter((uid) => uid > lastUid);
}

/**
 * The UIDs up to `lastUid` that the criteria match (all of them with none), ascending: what
 * of a checkpoint's messages is still there, or still matches.
 */
export function uidsUpTo(
  session: SearchSession,
  criteria: readonly ImapAttribute[],
  lastUid: number,
): Promise<number[]> {
  return uidSearch(session, [
    ...criteria,
    { type: 'ATOM' as const, value: 'UID' },
    { type: 'SEQUENCE' as const, value: `1:${lastUid}` },
  ]);
}
