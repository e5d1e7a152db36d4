/**
 * Which FETCH responses answer the UID FETCH that was sent. A server may send, in the middle
 * of a FETCH, responses nobody asked for: flag changes made by another client (RFC 3501
 * section 7.4.2; Dovecot sends them without UID, RFC 7162 servers with it), or FETCH answers
 * for other UIDs. Only a response for a requested UID carrying every requested item is a
 * message; a flags-only response updates a message already received; a response for a
 * requested UID that lacks an item it should carry (the body, say) makes that message
 * incomplete, an error for that message, never an empty one (issue 9).
 */
import type { FetchQueryObject } from 'imapflow';
import { MESSAGE_FIELDS } from '../fetched-message.js';
import type { MessageProblem } from '../message-limits.js';
import {
  fetchProtocolError,
  type BulkMessage,
  type FetchResponse,
} from './fetch-response-parser.js';

/** The messages a UID FETCH returned, and the requested UIDs whose answers lacked an item. */
export interface MatchedFetch {
  messages: BulkMessage[];
  incomplete: number[];
  /** Requested UIDs the server answered with something that could not be read, and why. */
  failed: FailedFetch[];
}

/** A requested message whose FETCH failed for it alone. */
export interface FailedFetch {
  uid: number;
  problem: MessageProblem;
}

// Items a server reports on its own when state changes (RFC 3501 7.4.2, RFC 7162 3.2.4).
const UPDATE_ITEMS = new Set(['uid', 'flags', 'modseq', 'labels']);

/** The message fields a FETCH query asks for, named as on BulkMessage. */
export function requestedItems(query: FetchQueryObject): string[] {
  const items: string[] = MESSAGE_FIELDS.filter(
    (field) => field !== 'headers' && Boolean(query[field]),
  );
  if (Array.isArray(query.headers) ? query.headers.length > 0 : Boolean(query.headers))
    items.push('headers');
  return items;
}

/** Collects FETCH responses as they arrive and sorts them into messages, updates and the rest. */
export class FetchMatcher {
  private readonly byUid = new Map<number, BulkMessage>();
  private readonly bySeq = new Map<number, BulkMessage>();
  private readonly incomplete = new Set<number>();
  private readonly failed = new Map<number, MessageProblem>();
  /** After an EXPUNGE, sequence numbers no longer name the messages received before it. */
  private seqTrusted = true;

  constructor(
    private readonly uids: ReadonlySet<number>,
    private readonly required: readonly string[],
    private readonly onMessage?: (message: BulkMessage) => void,
  ) {}

  add(response: FetchResponse): void {
    const uid = response.items.has('uid') ? response.message.uid : undefined;
    if (response.damaged) {
      if (uid !== undefined && this.uids.has(uid) && !this.byUid.has(uid))
        this.failed.set(uid, response.message.problem!);
      return;
    }
    const complete = this.required.every((item) => response.items.has(item));
    if (complete && uid !== undefined && this.uids.has(uid)) {
      this.byUid.set(uid, response.message);
      this.incomplete.delete(uid);
      this.failed.delete(uid);
      if (this.seqTrusted) this.bySeq.set(response.seq, response.message);
      this.onMessage?.(response.message);
      return;
    }
    const updateOnly = [...response.items].every((item) => UPDATE_ITEMS.has(item));
    // RFC 3501 section 6.4.8: every answer to UID FETCH carries the UID. Message data
    // without one cannot be placed, and silently dropping it would lose a message.
    if (!updateOnly && uid === undefined) throw fetchProtocolError('message data without its UID');
    if (updateOnly) this.applyUpdate(response, uid);
    else if (uid !== undefined && this.uids.has(uid) && !this.byUid.has(uid))
      this.incomplete.add(uid);
  }

  expunged(): void {
    this.seqTrusted = false;
    this.bySeq.clear();
  }

  result(): MatchedFetch {
    return {
      messages: [...this.byUid.values()].sort((a, b) => a.uid - b.uid),
      incomplete: [...this.incomplete].sort((a, b) => a - b),
      failed: [...this.failed]
        .map(([uid, problem]) => ({ uid, problem }))
        .sort((a, b) => a.uid - b.uid),
    };
  }

  // The newer flags win over those the message's own answer carried.
  private applyUpdate(response: FetchResponse, uid: number | undefined): void {
    const target =
      uid !== undefined
        ? this.byUid.get(uid)
        : this.seqTrusted
          ? this.bySeq.get(response.seq)
          : undefined;
    if (!target) return;
    if (response.items.has('flags')) target.flags = response.message.flags;
    if (response.items.has('labels')) target.labels = response.message.labels;
  }
}

/** Sorts a finished FETCH's responses (imapflow's path, which gives no sequence order of its own). */
export function matchFetchResponses(
  uids: ReadonlySet<number>,
  required: readonly string[],
  responses: Iterable<FetchResponse>,
  onMessage?: (message: BulkMessage) => void,
): MatchedFetch {
  const matcher = new FetchMatcher(uids, required, onMessage);
  for (const response of responses) matcher.add(response);
  return matcher.result();
}
