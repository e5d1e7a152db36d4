/**
 * imap/envelope.ts against imapflow's parseEnvelope, its reference: both FETCH paths must give
 * the same rows, so the bulk path's decoder may be faster but never different. Hand-written
 * cases for what servers send (groups, NIL, encoded words, quoted names, dates imapflow keeps
 * as text), then generated envelopes of hostile tokens.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../../src/imap/envelope.js';
import type { Node } from '../../../src/imap/fetch-tokens.js';
import { parseEnvelope } from '../../../src/imap/imapflow-internals.js';

const s = (value: string): Node => ({ type: 'STRING', value });
const lit = (value: string): Node => ({ type: 'LITERAL', value: Buffer.from(value) });
const address = (name: Node, mailbox: Node, host: Node): Node => [name, null, mailbox, host];

function both(entry: Node[]): [unknown, unknown] {
  return [decodeEnvelope(entry), parseEnvelope(entry as never)];
}

const CASES: Record<string, Node[]> = {
  plain: [
    s('Tue, 1 Dec 2026 10:00:00 +0000'),
    s('Quarterly numbers'),
    [address(s('Alice Example'), s('alice'), s('example.com'))],
    [address(null, s('alice'), s('example.com'))],
    null,
    [address(s('Bob'), s('bob'), s('example.org')), address(null, s('carol'), s('example.net'))],
    null,
    null,
    s(' <parent@example.com> '),
    s('<id-1@example.com>'),
  ],
  'encoded words, joined and across charsets': [
    s('not a date'),
    s('=?UTF-8?B?w6TDtsO8?= =?UTF-8?B?w58=?= and =?ISO-8859-1?Q?caf=E9?='),
    [address(s('=?utf-8?q?J=C3=BCrgen?= "Quoted"'), s('j'), s('example.de'))],
    [],
    [address(s('"=?UTF-8?Q?Zo=C3=AB?="'), s('zoe'), s('example.fr'))],
    [],
    null,
    null,
    null,
    null,
  ],
  'groups, NIL inside lists, quotes kept or stripped': [
    null,
    s('"quoted subject"'),
    [
      address(null, s('undisclosed-recipients'), null),
      address(null, null, null),
      null,
      address(s('"x"'), s('a'), s('b')),
      address(s('""'), s('c'), s('d')),
    ],
    null,
    null,
    [address(null, s('=?UTF-8?Q?Gr=C3=BCppe?='), null)],
    null,
    null,
    null,
    null,
  ],
  'literals, lists and atoms where strings belong': [
    lit('Wed, 2 Dec 2026 11:00:00 +0100'),
    lit('subject with \0 a NUL and __\0JOIN\0__ marker'),
    [[lit('Name'), null, lit('m'), lit('h')], s('not an address'), [[s('deep')], null, s('x'), []]],
    s('a token, not a list'),
    [],
    null,
    null,
    null,
    [s('list')],
    { type: 'ATOM', value: '' },
  ],
  'short and empty': [s(''), s('')],
};

describe('decodeEnvelope', () => {
  for (const [name, entry] of Object.entries(CASES))
    it(`gives what imapflow's parseEnvelope gives: ${name}`, () => {
      const [ours, theirs] = both(entry);
      expect(ours).toEqual(theirs);
      // Same fields in the same order: rows and JSON output keep imapflow's order.
      expect(Object.keys(ours as object)).toEqual(Object.keys(theirs as object));
    });

  it('decodes an encoded subject and strips a quoted name (not a vacuous comparison)', () => {
    const envelope = decodeEnvelope(CASES['encoded words, joined and across charsets']!);
    expect(envelope.subject).toBe('äöüß and café');
    expect(envelope.from?.[0]?.name).toBe('Jürgen "Quoted"');
    expect(envelope.replyTo?.[0]?.name).toBe('Zoë');
    expect(envelope.date).toBe('not a date');
  });

  it('agrees with imapflow on generated envelopes of hostile tokens', () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom('=?', '?=', '?B?', '?Q?', 'UTF-8', '"', ' ', '\0', '_', '=C3=BC', 'w6Q='),
        fc.string({ maxLength: 2 }),
      ),
      maxLength: 12,
    });
    const token: fc.Arbitrary<Node> = fc.oneof(
      text.map((value) => ({ type: 'STRING' as const, value })),
      text.map((value) => ({ type: 'LITERAL' as const, value: Buffer.from(value) })),
      fc.constant(null),
    );
    const addressNode: fc.Arbitrary<Node> = fc.oneof(
      fc.tuple(token, token, token, token),
      token,
      fc.array(token, { maxLength: 2 }),
    );
    const list: fc.Arbitrary<Node> = fc.oneof(fc.array(addressNode, { maxLength: 3 }), token);
    const entry = fc.tuple(
      fc.oneof(token, fc.constant(s('Thu, 3 Dec 2026 12:00:00 -0500'))),
      token,
      list,
      list,
      list,
      list,
      list,
      list,
      token,
      token,
    );
    fc.assert(
      fc.property(entry, (value) => {
        const [ours, theirs] = both(value as Node[]);
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 2000 },
    );
  });
});
