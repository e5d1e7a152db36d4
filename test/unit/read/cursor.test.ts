import { describe, expect, it } from 'vitest';
import {
  decodeCursor,
  encodeCursor,
  shortHash,
  startState,
  type CursorState,
} from '../../../src/read/cursor.js';

const ids = { account: shortHash('acct'), queryHash: shortHash('query') };
const state: CursorState = {
  v: 1,
  ...ids,
  folders: {
    INBOX: { uidValidity: '1700000000', lastUid: 42 },
    'Über/ß': { uidValidity: '18446744073709551615', lastUid: 0 },
  },
  done: ['INBOX'],
  remaining: null,
  complete: false,
};

describe('cursor', () => {
  it('round-trips through opaque base64url text, big UIDVALIDITY and Unicode folders included', () => {
    const text = encodeCursor(state);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text, ids)).toEqual(state);
  });

  it.each([
    [
      'an edited field',
      (text: string) =>
        Buffer.from(
          Buffer.from(text, 'base64url').toString().replace('"lastUid":42', '"lastUid":41'),
        ).toString('base64url'),
      /changed after it was issued/,
    ],
    [
      'a dropped checksum',
      (text: string) => {
        const o = JSON.parse(Buffer.from(text, 'base64url').toString()) as Record<string, unknown>;
        delete o.mac;
        return Buffer.from(JSON.stringify(o)).toString('base64url');
      },
      /damaged/,
    ],
    ['truncation', (text: string) => text.slice(0, text.length - 10), /does not decode|damaged/],
    ['characters outside base64url', () => 'abc=def', /does not decode/],
    [
      'valid base64 of something else',
      () => Buffer.from('{"hello":1}').toString('base64url'),
      /damaged/,
    ],
  ])('refuses %s', (_name, mutate, message) => {
    expect(() => decodeCursor(mutate(encodeCursor(state)), ids)).toThrow(
      expect.objectContaining({
        code: 'CURSOR_INVALID',
        field: '/cursor',
        message: expect.stringMatching(message),
      }),
    );
  });

  it('refuses a cursor of another account or query', () => {
    const text = encodeCursor(state);
    expect(() => decodeCursor(text, { ...ids, account: shortHash('other') })).toThrow(
      /another account/,
    );
    expect(() => decodeCursor(text, { ...ids, queryHash: shortHash('other') })).toThrow(
      /another query/,
    );
  });
});

describe('startState', () => {
  it("starts fresh, continues a page cursor, and turns a finished run into the next run's state", () => {
    expect(startState(undefined, ids, 5)).toEqual({
      v: 1,
      ...ids,
      folders: {},
      done: [],
      remaining: 5,
      complete: false,
    });
    expect(startState(state, ids, null)).toBe(state);
    const finished: CursorState = {
      ...state,
      done: ['INBOX', 'Über/ß'],
      remaining: 0,
      complete: true,
    };
    expect(startState(finished, ids, 10)).toEqual({
      ...finished,
      done: [],
      remaining: 10,
      complete: false,
    });
  });
});
