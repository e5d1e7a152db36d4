import { describe, expect, it } from 'vitest';
import type { FetchResponse } from '../../../src/imap/fetch-response-parser.js';
import { matchFetchResponses, requestedItems } from '../../../src/imap/match-fetch-responses.js';

const FULL = ['uid', 'flags', 'size', 'source'];

function response(seq: number, fields: Record<string, unknown>): FetchResponse {
  return {
    seq,
    items: new Set(Object.keys(fields)),
    message: fields as unknown as FetchResponse['message'],
  };
}

const full = (seq: number, uid: number, flags: string[] = []): FetchResponse =>
  response(seq, { uid, flags: new Set(flags), size: 3, source: Buffer.from('abc') });

describe('matchFetchResponses', () => {
  it('keeps answers for requested UIDs that carry every item, in UID order', () => {
    const matched = matchFetchResponses(new Set([5, 9]), FULL, [full(2, 9), full(1, 5)]);
    expect(matched.messages.map((m) => m.uid)).toEqual([5, 9]);
    expect(matched.incomplete).toEqual([]);
  });

  it('never takes a flags-only update for a message, with or without UID', () => {
    const matched = matchFetchResponses(new Set([5]), FULL, [
      response(7, { flags: new Set(['\\Seen']) }),
      response(8, { uid: 800, flags: new Set() }),
      response(1, { uid: 5, flags: new Set() }),
    ]);
    expect(matched.messages).toEqual([]);
    expect(matched.incomplete).toEqual([]);
  });

  it('applies a later flag update to the message it names, by UID or by sequence number', () => {
    const matched = matchFetchResponses(new Set([5, 6]), FULL, [
      full(1, 5),
      full(2, 6),
      response(1, { flags: new Set(['\\Seen']) }),
      response(9, { uid: 6, flags: new Set(['\\Flagged']) }),
    ]);
    expect(matched.messages.map((m) => [...m.flags!])).toEqual([['\\Seen'], ['\\Flagged']]);
  });

  it('lists a requested UID answered without its body as incomplete, never as a message', () => {
    const matched = matchFetchResponses(new Set([5, 6]), FULL, [
      response(1, { uid: 5, flags: new Set(), size: 3 }),
      full(2, 6),
    ]);
    expect(matched.messages.map((m) => m.uid)).toEqual([6]);
    expect(matched.incomplete).toEqual([5]);
  });

  it('ignores complete answers for UIDs nobody asked for', () => {
    const matched = matchFetchResponses(new Set([5]), FULL, [full(1, 5), full(2, 800)]);
    expect(matched.messages.map((m) => m.uid)).toEqual([5]);
  });

  it('stops trusting sequence numbers after an EXPUNGE', async () => {
    const { FetchMatcher } = await import('../../../src/imap/match-fetch-responses.js');
    const matcher = new FetchMatcher(new Set([5]), FULL);
    matcher.add(full(2, 5));
    matcher.expunged();
    matcher.add(response(2, { flags: new Set(['\\Deleted']) }));
    expect([...matcher.result().messages[0]!.flags!]).toEqual([]);
  });

  it('derives the required items from the FETCH query', () => {
    expect(
      requestedItems({ uid: true, flags: true, source: true, headers: ['references'] }),
    ).toEqual(['uid', 'flags', 'source', 'headers']);
    expect(requestedItems({ uid: true, headers: [] })).toEqual(['uid']);
  });
});
