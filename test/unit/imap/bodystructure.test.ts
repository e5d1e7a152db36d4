/**
 * imap/bodystructure.ts against imapflow's parseBodystructure, its reference: both FETCH paths
 * must give the same rows, so the bulk path's decoder may be faster but never different.
 * Hand-written structures as servers send them (multipart trees, attached messages, RFC 2231
 * parameters, servers that leave out a text part's line count), then generated structures of
 * hostile tokens.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBodystructure } from '../../../src/imap/bodystructure.js';
import type { Node } from '../../../src/imap/fetch-tokens.js';
import { parseBodystructure } from '../../../src/imap/imapflow-internals.js';

const s = (value: string): Node => ({ type: 'STRING', value });
const a = (value: string): Node => ({ type: 'ATOM', value });
const lit = (value: string): Node => ({ type: 'LITERAL', value: Buffer.from(value) });

const text = (subtype: string, params: Node, size: string, lines: string): Node[] => [
  s('TEXT'),
  s(subtype),
  params,
  null,
  null,
  s('QUOTED-PRINTABLE'),
  a(size),
  a(lines),
  null,
  null,
  null,
  null,
];

const pdf = (disposition: Node): Node[] => [
  s('APPLICATION'),
  s('PDF'),
  [s('NAME'), s('report.pdf')],
  s('<part2@example.com>'),
  s('The report'),
  s('BASE64'),
  a('30970'),
  s('0BC10D4E2A3B4C5D6E7F8091A2B3C4D5'),
  disposition,
  [s('EN'), s('DE')],
  s('https://example.com/report.pdf'),
];

const envelope: Node[] = [
  s('Tue, 1 Dec 2026 10:00:00 +0000'),
  s('=?UTF-8?Q?Fwd=3A_caf=C3=A9?='),
  [[s('Alice'), null, s('alice'), s('example.com')]],
  null,
  null,
  [[null, null, s('bob'), s('example.org')]],
  null,
  null,
  null,
  s('<inner@example.com>'),
];

const CASES: Record<string, Node[]> = {
  'one text part, as Dovecot sends it': text(
    'PLAIN',
    [s('CHARSET'), s('utf-8'), s('FORMAT'), s('flowed')],
    '1024',
    '20',
  ),
  'mixed: alternative text and html, an attachment with its extensions': [
    [
      text('PLAIN', [s('CHARSET'), s('us-ascii')], '120', '4'),
      text('HTML', [s('CHARSET'), s('utf-8')], '2048', '40'),
      s('ALTERNATIVE'),
      [s('BOUNDARY'), s('b2')],
      null,
      null,
      null,
    ],
    pdf([s('ATTACHMENT'), [s('FILENAME'), s('=?UTF-8?Q?Bericht_=C3=BCber.pdf?=')]]),
    s('MIXED'),
    [s('BOUNDARY'), s('b1')],
    [s('INLINE'), null],
    s('en'),
    s('https://example.com/'),
  ],
  'an attached message, its envelope and its own tree': [
    text('PLAIN', [s('CHARSET'), s('utf-8')], '10', '1'),
    [
      s('MESSAGE'),
      s('RFC822'),
      null,
      null,
      null,
      s('7BIT'),
      a('4000'),
      envelope,
      [
        text('PLAIN', null, '100', '3'),
        pdf([s('ATTACHMENT'), [s('FILENAME'), s('inner.pdf')]]),
        s('MIXED'),
      ],
      a('80'),
      null,
      [s('ATTACHMENT'), [s('FILENAME'), s('forwarded.eml')]],
      null,
      null,
    ],
    s('MIXED'),
  ],
  'RFC 2231: continuations, a charset, an encoded plain filename': [
    text('PLAIN', [s('CHARSET'), s('utf-8')], '1', '1'),
    [
      s('APPLICATION'),
      s('OCTET-STREAM'),
      [s('NAME*0*'), s("utf-8''%E2%82%AC%20rates"), s('NAME*1'), s('.txt')],
      null,
      null,
      s('BASE64'),
      a('100'),
      null,
      [
        s('ATTACHMENT'),
        [s('FILENAME*1'), s(' part two'), s('FILENAME*0'), s('part one'), s('SIZE'), a('7')],
      ],
      null,
      null,
    ],
    [
      s('IMAGE'),
      s('PNG'),
      [s('NAME'), s("utf-8''%C3%A9t%C3%A9.png")],
      null,
      null,
      s('BASE64'),
      a('100'),
      null,
      [s('ATTACHMENT'), [s('FILENAME'), s("iso-8859-1'fr'%E9t%E9.png")]],
      null,
      null,
    ],
    s('MIXED'),
  ],
  'a text part without its line count (the disposition in its place)': [
    s('TEXT'),
    s('PLAIN'),
    [s('CHARSET'), s('utf-8')],
    null,
    null,
    s('7BIT'),
    a('10'),
    null,
    [s('ATTACHMENT'), [s('FILENAME'), s('notes.txt')]],
    null,
    null,
  ],
  'BODY without extensions, NIL and literals where strings belong': [
    [s('TEXT'), s('PLAIN'), null, null, null, s('7BIT'), a('5'), a('1')],
    [
      lit('APPLICATION'),
      lit('X-Thing'),
      [lit('Name'), lit('=?ISO-8859-1?Q?caf=E9?=')],
      lit('<id>'),
      null,
      null,
      lit('12'),
    ],
    s('MIXED'),
  ],
  'names that would reach Object.prototype, odd lists, tokens where lists belong': [
    [
      s('TEXT'),
      s('PLAIN'),
      [
        s('__proto__'),
        s('x'),
        s('CONSTRUCTOR'),
        s('y'),
        s('__PROTO__*0*'),
        s("utf-8''z"),
        s('LONE'),
      ],
      [s('a list')],
      [],
      [s('QP')],
      [a('1')],
      a('not a number'),
      s('0123456789ABCDEF'),
      s('not a list'),
      s('just-one-language'),
      null,
    ],
    s('message'),
    s('rfc822'),
    [],
  ],
  'names that would reach Object.prototype, no RFC 2231 among them': [
    s('TEXT'),
    s('PLAIN'),
    [
      s('CONSTRUCTOR'),
      s('y'),
      s('PROTOTYPE'),
      s('z'),
      s('__proto__'),
      s('x'),
      s('CHARSET'),
      s('utf-8'),
    ],
    null,
    null,
    s('7BIT'),
    a('3'),
    a('1'),
  ],
  'an attached message with a token for its envelope and tree': [
    s('MESSAGE'),
    s('RFC822'),
    null,
    null,
    null,
    null,
    null,
    s('not an envelope'),
    s('not a tree'),
    a('x'),
  ],
  'empty and short': [],
  'only a subtype': [[s('TEXT'), s('PLAIN')], null],
};

describe('decodeBodystructure', () => {
  for (const [name, entry] of Object.entries(CASES))
    it(`gives what imapflow's parseBodystructure gives: ${name}`, () => {
      const ours = decodeBodystructure(entry);
      const theirs = parseBodystructure(entry as never);
      expect(ours).toEqual(theirs);
      // Same fields in the same order, at every level: rows and JSON keep imapflow's order.
      expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs));
    });

  it('decodes what the cases are there for (not a vacuous comparison)', () => {
    const mixed = decodeBodystructure(
      CASES['mixed: alternative text and html, an attachment with its extensions']!,
    );
    expect(mixed.type).toBe('multipart/mixed');
    expect(mixed.childNodes?.[0]?.childNodes?.[1]).toMatchObject({
      part: '1.2',
      type: 'text/html',
    });
    expect(mixed.childNodes?.[1]?.dispositionParameters).toEqual({ filename: 'Bericht über.pdf' });
    const attached = decodeBodystructure(
      CASES['an attached message, its envelope and its own tree']!,
    );
    const inner = attached.childNodes?.[1];
    expect(inner?.envelope?.subject).toBe('Fwd: café');
    expect(inner?.childNodes?.[0]?.childNodes?.[1]?.part).toBe('2.2');
    const rfc2231 = decodeBodystructure(
      CASES['RFC 2231: continuations, a charset, an encoded plain filename']!,
    );
    expect(rfc2231.childNodes?.[1]?.parameters).toEqual({ name: '€ rates.txt' });
    expect(rfc2231.childNodes?.[1]?.dispositionParameters).toMatchObject({
      filename: 'part one part two',
    });
    expect(rfc2231.childNodes?.[2]?.dispositionParameters).toEqual({ filename: 'été.png' });
    const unsafe = decodeBodystructure(
      CASES['names that would reach Object.prototype, odd lists, tokens where lists belong']!,
    );
    expect(Object.getPrototypeOf(unsafe.childNodes?.[0]?.parameters)).toBe(Object.prototype);
  });

  it('agrees with imapflow on generated structures of hostile tokens', () => {
    const word = fc.string({
      unit: fc.oneof(
        fc.constantFrom(
          '=?',
          '?=',
          '?Q?',
          'UTF-8',
          "'",
          '*',
          '*0',
          '*1*',
          '%E9',
          ' ',
          '\0',
          'text',
          'plain',
        ),
        fc.constantFrom(
          'FILENAME',
          'filename',
          'NAME',
          'message',
          'rfc822',
          'TEXT',
          '__proto__',
          '12',
        ),
        fc.string({ maxLength: 2 }),
      ),
      maxLength: 6,
    });
    const token: fc.Arbitrary<Node> = fc.oneof(
      word.map((value) => ({ type: 'STRING' as const, value })),
      word.map((value) => ({ type: 'LITERAL' as const, value: Buffer.from(value) })),
      word.map((value) => ({ type: 'ATOM' as const, value })),
      fc.constant(null),
    );
    const { part } = fc.letrec<{ part: Node[]; field: Node }>((tie) => ({
      field: fc.oneof(
        { weight: 4, arbitrary: token },
        { weight: 1, arbitrary: fc.array(token, { maxLength: 7 }) },
        { weight: 1, arbitrary: tie('part') },
      ),
      part: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.array(tie('field'), { maxLength: 12 }),
        fc
          .tuple(
            fc.array(tie('part'), { minLength: 1, maxLength: 3 }),
            fc.array(tie('field'), { maxLength: 5 }),
          )
          .map(([children, rest]) => [...children, ...rest]),
        fc
          .tuple(
            fc.constantFrom(s('TEXT'), s('message'), a('text')),
            fc.constantFrom(s('PLAIN'), s('RFC822'), s('html')),
            fc.array(tie('field'), { maxLength: 10 }),
          )
          .map(([type, subtype, rest]) => [type, subtype, ...rest]),
      ),
    }));
    fc.assert(
      fc.property(part, (entry) => {
        const ours = decodeBodystructure(entry);
        expect(JSON.stringify(ours)).toBe(JSON.stringify(parseBodystructure(entry as never)));
      }),
      { numRuns: 3000 },
    );
  });
});
