import { describe, expect, it } from 'vitest';
import { SearchResponseParser } from '../../../src/imap/search-response-parser.js';

function parse(
  text: string | Buffer,
  limit = 1000,
  cut?: number,
): { uids: number[]; status?: string; rest?: string } {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const parser = new SearchResponseParser('X1', limit);
  const chunks =
    cut === undefined
      ? [bytes]
      : cut === 1
        ? [...bytes].map((b) => Buffer.from([b]))
        : [bytes.subarray(0, cut), bytes.subarray(cut)];
  for (const chunk of chunks) {
    const end = parser.push(chunk);
    if (end) return { uids: parser.uids(), status: end.result.status, rest: end.rest.toString() };
  }
  return { uids: parser.uids() };
}

const ANSWER =
  '* 4 FETCH (FLAGS (\\Seen))\r\n* SEARCH 5 3 9 3\r\n* OK [HIGHESTMODSEQ 4] x\r\n* SEARCH\r\nX1 OK Search completed\r\nafter';

describe('SearchResponseParser', () => {
  it('reads SEARCH numbers among unsolicited lines, ascending and once each, and stops at the tagged line', () => {
    expect(parse(ANSWER)).toEqual({ uids: [3, 5, 9], status: 'OK', rest: 'after' });
  });

  it('gives the same answer however the bytes are cut', () => {
    for (let cut = 1; cut < ANSWER.length; cut++)
      expect(parse(ANSWER, 1000, cut)).toEqual({
        uids: [3, 5, 9],
        status: 'OK',
        rest: expect.any(String),
      });
  });

  it('reads ESEARCH ALL sets (RFC 4731) and a tagged NO with its text', () => {
    expect(parse('* ESEARCH (TAG "X1") UID ALL 1:3,7\r\nX1 OK done\r\n').uids).toEqual([
      1, 2, 3, 7,
    ]);
    expect(parse('X1 NO [THROTTLED] slow down\r\n')).toMatchObject({ status: 'NO', uids: [] });
  });

  it('skips the literal of an unsolicited response', () => {
    expect(
      parse('* 2 FETCH (UID 9 BODY[] {12}\r\n* SEARCH 666)\r\n* SEARCH 4\r\nX1 OK done\r\n').uids,
    ).toEqual([4]);
  });

  it.each([
    ['a letter among the UIDs', '* SEARCH 1 2 x3\r\n'],
    ['a UID of zero', '* SEARCH 0\r\n'],
    ['a number beyond 32 bits', '* SEARCH 99999999999\r\n'],
    ['an ESEARCH set that is none', '* ESEARCH (TAG "X1") UID ALL 1:x\r\n'],
    ['more UIDs than the folder has', '* SEARCH 1 2 3 4 5 6\r\n'],
    ['an ESEARCH range of four billion', '* ESEARCH (TAG "X1") UID ALL 1:4294967295\r\n'],
  ])('refuses %s with PROTOCOL_ERROR', (_name, text) => {
    expect(() => parse(text + 'X1 OK done\r\n', 5)).toThrow(
      expect.objectContaining({ code: 'PROTOCOL_ERROR' }),
    );
  });

  it('reads a million UIDs as numbers', () => {
    const uids = Array.from({ length: 1_000_000 }, (_, i) => i + 1);
    const result = parse(`* SEARCH ${uids.join(' ')}\r\nX1 OK done\r\n`, 1_000_000);
    expect(result.uids.length).toBe(1_000_000);
    expect(result.uids[999_999]).toBe(1_000_000);
  });
});
