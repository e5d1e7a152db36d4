import { describe, expect, it } from 'vitest';
import {
  continueFolders,
  decodeCursor,
  encodeCursor,
  shortHash,
  startState,
  type CursorState,
} from '../../../src/read/cursor.js';

const ids = { account: shortHash('acct') };
const query = shortHash('query');
const state: CursorState = {
  v: 2,
  ...ids,
  folders: {
    INBOX: { uidValidity: '1700000000', lastUid: 42, query },
    'Über/ß': { uidValidity: '18446744073709551615', lastUid: 0, query },
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

  it('refuses a cursor of another account', () => {
    const text = encodeCursor(state);
    expect(() => decodeCursor(text, { ...ids, account: shortHash('other') })).toThrow(
      /another account/,
    );
  });

  it('refuses a 0.1 cursor (one entry for all folders) with a message saying so', () => {
    const old = Buffer.from(JSON.stringify({ v: 1, account: ids.account })).toString('base64url');
    expect(() => decodeCursor(old, ids)).toThrow(/made by imap-connector 0.1/);
  });
});

describe('continueFolders', () => {
  it('continues folders read with the same search and starts unknown ones fresh', () => {
    expect(continueFolders(state, ['INBOX', 'New'], query, false)).toEqual({
      state,
      restarted: [],
    });
  });

  it('refuses a folder read with another search, naming it, unless asked to restart it', () => {
    const other = shortHash('other query');
    expect(() => continueFolders(state, ['INBOX'], other, false)).toThrow(
      expect.objectContaining({
        code: 'CURSOR_INVALID',
        message: expect.stringContaining('"INBOX"'),
        details: { folders: ['INBOX'] },
      }),
    );
    const { state: next, restarted } = continueFolders(state, ['INBOX'], other, true);
    expect(restarted).toEqual(['INBOX']);
    expect(next.folders.INBOX).toBeUndefined();
    expect(next.done).toEqual([]);
    // The folder not read this time keeps its place.
    expect(next.folders['Über/ß']).toEqual(state.folders['Über/ß']);
    expect(state.folders.INBOX).toBeDefined();
  });
});

describe('startState', () => {
  it("starts fresh, continues a page cursor, and turns a finished run into the next run's state", () => {
    expect(startState(undefined, ids, 5)).toEqual({
      v: 2,
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
