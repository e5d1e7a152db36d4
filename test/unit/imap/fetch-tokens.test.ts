import { describe, expect, it } from 'vitest';
import { tokenize } from '../../../src/imap/fetch-tokens.js';

const one = (text: string): unknown => tokenize([Buffer.from(text, 'utf8')], []);

describe('tokenize quoted strings', () => {
  it('reads plain, UTF-8, empty and escaped strings alike', () => {
    expect(one('("plain text" "Grüße, 日本" "" "say \\"hi\\"" "a \\\\ b" "\\\\")')).toEqual([
      [
        { type: 'STRING', value: 'plain text' },
        { type: 'STRING', value: 'Grüße, 日本' },
        { type: 'STRING', value: '' },
        { type: 'STRING', value: 'say "hi"' },
        { type: 'STRING', value: 'a \\ b' },
        { type: 'STRING', value: '\\' },
      ],
    ]);
  });

  it('ends a string at its first unescaped quote, and takes what follows as tokens', () => {
    expect(one('"a\\"" NIL "b"')).toEqual([
      { type: 'STRING', value: 'a"' },
      null,
      { type: 'STRING', value: 'b' },
    ]);
  });

  it('takes NIL in any case as NIL, and longer atoms that start with it as atoms', () => {
    expect(one('nil NIL NILS Nil')).toEqual([null, null, { type: 'ATOM', value: 'NILS' }, null]);
  });

  it('refuses a string without its closing quote, also one whose last quote is escaped', () => {
    for (const text of ['("abc)', '("abc\\")', '"abc\\'])
      expect(() => one(text), text).toThrow(/quoted string without its closing quote/);
  });
});
