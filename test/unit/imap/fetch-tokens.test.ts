import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiSegmentsSoFar, tokenize, tokenizeBytes } from '../../../src/imap/fetch-tokens.js';

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

describe('tokenize, generated', () => {
  type Token = { type: 'STRING' | 'ATOM'; value: string } | null | Token[];
  // What a server writes for each token: quoted strings escape only " and \ (RFC 3501 quoted).
  const written = (token: Token): string =>
    token === null
      ? 'NIL'
      : Array.isArray(token)
        ? `(${token.map(written).join(' ')})`
        : token.type === 'ATOM'
          ? token.value
          : `"${token.value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

  it('reads back what was written: ASCII, UTF-8 and escaped strings, atoms, NIL, lists', () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom('"', '\\', ' ', '(', ')', '{1}', 'é', '日', '😀', 'NIL'),
        fc.string({ maxLength: 3 }).filter((value) => !value.includes('\0')),
      ),
      maxLength: 8,
    });
    const atom = fc
      .stringMatching(/^[A-Za-z0-9.\\-]{1,8}(\[[A-Z0-9. ()]{0,8}\])?$/)
      .filter((value) => value.toUpperCase() !== 'NIL');
    const { token } = fc.letrec<{ token: Token }>((tie) => ({
      token: fc.oneof(
        { depthSize: 'small' },
        text.map((value) => ({ type: 'STRING' as const, value })),
        atom.map((value) => ({ type: 'ATOM' as const, value })),
        fc.constant(null),
        fc.array(tie('token'), { maxLength: 4 }),
      ),
    }));
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 6 }), (tokens) => {
        expect(tokenize([Buffer.from(tokens.map(written).join(' '), 'utf8')], [])).toEqual(tokens);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('tokenize, ASCII segments as strings', () => {
  /** Tokens, or the error's message: what a caller gets either way. */
  const outcome = (read: () => unknown): unknown => {
    try {
      return read();
    } catch (error) {
      return { threw: (error as Error).message };
    }
  };

  it('takes the string path for an ASCII segment and the byte path for one with 8-bit bytes', () => {
    const before = asciiSegmentsSoFar();
    tokenize([Buffer.from('(UID 1 FLAGS (\\Seen))')], []);
    expect(asciiSegmentsSoFar()).toBe(before + 1);
    tokenize([Buffer.from('("Grüße")')], []);
    expect(asciiSegmentsSoFar()).toBe(before + 1);
  });

  it('gives what the byte path gives for any ASCII, well-formed or not, with literals', () => {
    // The grammar's own characters, so quotes, escapes, lists and brackets meet in every order.
    const segment = fc.string({
      unit: fc.constantFrom(
        '"',
        '\\',
        ' ',
        '(',
        ')',
        '[',
        ']',
        '{',
        '}',
        '+',
        'NIL',
        'nil',
        'A',
        'b',
        '1',
        '.',
        '~',
      ),
      maxLength: 24,
    });
    const response = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => ({
      // Every segment but the last announces the literal after it, as a FETCH line does.
      texts: parts.map((part, i) => Buffer.from(i < parts.length - 1 ? `${part} {3}` : part)),
      literals: parts.slice(1).map((_, i) => Buffer.from(`L${i}!`)),
    }));
    fc.assert(
      fc.property(response, ({ texts, literals }) => {
        expect(outcome(() => tokenize(texts, literals))).toEqual(
          outcome(() => tokenizeBytes(texts, literals)),
        );
      }),
      { numRuns: 5000 },
    );
  });
});
