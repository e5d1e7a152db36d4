import type { FetchMessageObject, FetchQueryObject } from 'imapflow';
import { MESSAGE_FIELDS } from '../fetched-message.js';
import { bulkFetch } from './bulk-fetch.js';
import { canBorrowSocket } from './borrow-socket.js';
import { withCommandDeadline } from './command-deadline.js';
import { fetchItemsText } from './fetch-items.js';
import type { BulkMessage, FetchResponse } from './fetch-response-parser.js';
import { isCompressed } from './imapflow-internals.js';
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
  bulk = BULK_FETCH,
): Promise<MatchedFetch> {
  if (uids.length === 0) return { messages: [], incomplete: [] };
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
  return withCommandDeadline(session, 'UID FETCH', async () => {
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
    return matchFetchResponses(requested, required, responses);
  });
}
