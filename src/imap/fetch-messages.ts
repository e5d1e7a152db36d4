import type { FetchMessageObject, FetchQueryObject } from 'imapflow';
import { MESSAGE_FIELDS } from '../fetched-message.js';
import { bulkFetch } from './bulk-fetch.js';
import { canBorrowSocket } from './borrow-socket.js';
import { withCommandDeadline } from './command-deadline.js';
import { fetchItemsText } from './fetch-items.js';
import type { BulkMessage, FetchResponse } from './fetch-response-parser.js';
import { isCompressed } from './imapflow-internals.js';
import { isMessageRefusal } from './classify-error.js';
import { redactText } from '../config/redact.js';
import type { MessageProblem } from '../message-limits.js';
import { matchFetchResponses, requestedItems, type MatchedFetch } from './match-fetch-responses.js';
import type { Session } from './open-session.js';
import { toUidSet } from './uid-set.js';

// IMAP_CONNECTOR_BULK_FETCH=off sends every FETCH through imapflow, should a server's
// answers ever trip the dedicated parser.
const BULK_FETCH = process.env.IMAP_CONNECTOR_BULK_FETCH !== 'off';

/**
 * One UID FETCH: through the dedicated bulk parser when the session can lend its socket
 * (about twice as fast, see bulk-fetch.ts), else through imapflow's fetch(). Either way only
 * answers for the requested UIDs with every requested item are messages; requested UIDs whose
 * answer lacked an item are listed as incomplete (match-fetch-responses.ts).
 */
export async function fetchMessages(
  session: Session,
  uids: readonly number[],
  query: FetchQueryObject,
  how: Partial<FetchWay> = {},
): Promise<MatchedFetch> {
  return fetchTheWay(session, uids, query, { bulk: BULK_FETCH, ...how });
}

/** fetchMessages, the way chosen: also how a refused FETCH's halves are asked again. */
async function fetchTheWay(
  session: Session,
  uids: readonly number[],
  query: FetchQueryObject,
  how: FetchWay,
): Promise<MatchedFetch> {
  if (uids.length === 0) return { messages: [], incomplete: [], failed: [] };
  try {
    return await fetchOnce(session, uids, query, how);
  } catch (error) {
    if (!isMessageRefusal(error)) throw error;
    return isolateRefusal(session, uids, query, how, error);
  }
}

/** Through which parser, and where the bulk parser copies literals to (literal-arena.ts). */
export interface FetchWay {
  bulk: boolean;
  allocate?: ((count: number) => Buffer) | undefined;
  /**
   * Each requested message with every item asked for, as its answer arrives (the bulk parser)
   * or once the FETCH ended (imapflow's): work on it overlaps the rest of the answer. A message
   * answered twice is given twice; the later answer is the one in the result.
   */
  onMessage?: ((message: BulkMessage) => void) | undefined;
}

/**
 * A FETCH the server refused (NO or BAD, no throttle, no folder problem) is asked again in
 * halves down to single messages, so one message the server cannot send fails alone (issue
 * 24). When every message of a larger FETCH fails, the fault is not a message's: it is thrown.
 */
async function isolateRefusal(
  session: Session,
  uids: readonly number[],
  query: FetchQueryObject,
  how: FetchWay,
  refusal: unknown,
): Promise<MatchedFetch> {
  if (uids.length === 1)
    return {
      messages: [],
      incomplete: [],
      failed: [{ uid: uids[0]!, problem: refused(refusal, session.secrets) }],
    };
  const half = Math.ceil(uids.length / 2);
  const parts = [
    await fetchTheWay(session, uids.slice(0, half), query, how),
    await fetchTheWay(session, uids.slice(half), query, how),
  ];
  const merged: MatchedFetch = {
    messages: parts.flatMap((part) => part.messages),
    incomplete: parts.flatMap((part) => part.incomplete),
    failed: parts.flatMap((part) => part.failed),
  };
  if (merged.failed.length === uids.length) throw refusal;
  return merged;
}

function refused(error: unknown, secrets: readonly string[]): MessageProblem {
  const raw = error as { responseStatus?: string; responseText?: string };
  const text = redactText(String(raw.responseText ?? ''), secrets).slice(0, 200);
  return {
    code: 'MESSAGE_UNAVAILABLE',
    message: `The server refused to send this message (${raw.responseStatus ?? 'NO'}${text ? `: ${text}` : ''}).`,
  };
}

/** One UID FETCH of `uids`, through the bulk parser or imapflow. */
async function fetchOnce(
  session: Session,
  uids: readonly number[],
  query: FetchQueryObject,
  { bulk, allocate, onMessage }: FetchWay,
): Promise<MatchedFetch> {
  const uidSet = toUidSet([...uids]);
  const requested = new Set(uids);
  const required = requestedItems(query);
  if (bulk && canBorrowSocket(session.client)) {
    const request = {
      uidSet,
      uids: requested,
      items: fetchItemsText(query),
      required,
      maxLiteralBytes: session.maxMessageBytes,
      allocate,
      onMessage,
    };
    return withCommandDeadline(session, 'UID FETCH', () =>
      bulkFetch(session.client, request, session.logger),
    );
  }
  // A plain session that cannot lend its socket means imapflow changed under us (see
  // imapflow-internals.ts): say so, since reads then take twice as long.
  if (bulk && !isCompressed(session.client))
    session.logger.warn({
      msg: 'the fast FETCH path is not available on this session; FETCH goes through imapflow',
    });
  return withCommandDeadline(session, 'UID FETCH', async () =>
    matchFetchResponses(
      requested,
      required,
      await imapflowFetch(session, uidSet, query),
      onMessage,
    ),
  );
}

/** The responses of one UID FETCH through imapflow, each with the items it carried. */
async function imapflowFetch(
  session: Session,
  uidSet: string,
  query: FetchQueryObject,
): Promise<FetchResponse[]> {
  const responses: FetchResponse[] = [];
  for await (const message of session.client.fetch(uidSet, query, { uid: true })) {
    const fields = message as unknown as Record<string, unknown>;
    const items = new Set(
      MESSAGE_FIELDS.filter((field) => fields[field] !== undefined && fields[field] !== null),
    );
    responses.push({
      seq: message.seq,
      items,
      message: message as FetchMessageObject & BulkMessage,
    });
  }
  return responses;
}
