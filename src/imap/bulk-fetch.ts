import type { ImapFlow } from 'imapflow';
import { uidFetchLine } from './command-line.js';
import { SILENT_LOGGER, type Logger } from '../operation-options.js';
import { borrowSocket, nextTag, type Consumed } from './borrow-socket.js';
import {
  FetchResponseParser,
  logAnswer,
  type BulkMessage,
  type TaggedResult,
} from './fetch-response-parser.js';
import { FetchMatcher, type MatchedFetch } from './match-fetch-responses.js';

/** What one bulk FETCH is: the UIDs asked for, the items as sent and as message fields. */
export interface BulkFetchRequest {
  uidSet: string;
  uids: ReadonlySet<number>;
  items: string;
  required: readonly string[];
  /** Largest literal accepted (the connection's maxMessageSize); a larger one is PROTOCOL_ERROR. */
  maxLiteralBytes?: number;
  /** Where literals are copied to (literal-arena.ts); each its own Buffer when absent. */
  allocate?: ((count: number) => Buffer) | undefined;
  /** Each requested message with every item, as its answer arrives (FetchWay.onMessage). */
  onMessage?: ((message: BulkMessage) => void) | undefined;
}

/**
 * Runs one UID FETCH on the session's selected folder with its own response parser, on the
 * borrowed socket (borrow-socket.ts): imapflow compiles every response back to text for its
 * log, which is most of its CPU time on bulk FETCH; this parser does not. Responses are
 * matched to the request as they arrive (match-fetch-responses.ts).
 * @throws PROTOCOL_ERROR for bytes that are not IMAP; else an error shaped like imapflow's
 *   (responseStatus / responseText, or code NoConnection)
 */
export function bulkFetch(
  client: ImapFlow,
  request: BulkFetchRequest,
  logger: Logger = SILENT_LOGGER,
): Promise<MatchedFetch> {
  const tag = nextTag();
  const line = uidFetchLine(tag, request.uidSet, request.items);
  const matcher = new FetchMatcher(request.uids, request.required, request.onMessage);
  let outcome: Consumed<MatchedFetch> = { done: false };
  const onTagged = (result: TaggedResult, rest: Buffer): void => {
    logAnswer(logger, result);
    outcome =
      result.status === 'OK'
        ? { done: true, value: matcher.result(), rest }
        : {
            done: true,
            error: Object.assign(new Error(`UID FETCH failed: ${result.status}`), {
              responseStatus: result.status,
              responseText: result.text,
            }),
            rest,
          };
  };
  const parser = new FetchResponseParser(
    tag,
    { onFetch: (response) => matcher.add(response), onExpunge: () => matcher.expunged(), onTagged },
    request.maxLiteralBytes,
    request.allocate,
  );
  return borrowSocket(
    client,
    line,
    (chunk) => {
      parser.push(chunk);
      return outcome;
    },
    logger,
  );
}
