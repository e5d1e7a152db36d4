import { describe, expect, it } from 'vitest';
import { joinUnquotedSender, parseAddressList } from '../../../src/rows/header-addresses.js';
import { decodeHeaderText } from '../../../src/rows/header-words.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('decodeHeaderText', () => {
  it.each([
    ['plain ASCII', 'Hello world', 'Hello world'],
    [
      'a Q word with a raw 8-bit byte inside, decoded once',
      '=?ISO-8859-1?Q?Fr\xf6sche?=',
      'Frösche',
    ],
    ['Q with =XX and underscores', '=?iso-8859-1?q?Kr=F6ten_und_Fr=F6sche?=', 'Kröten und Frösche'],
    ['B words joined without the space between them', '=?utf-8?B?SsO2?= =?utf-8?B?cmc=?=', 'Jörg'],
    [
      'a character split across two words of one charset',
      '=?utf-8?Q?caf=C3?= =?utf-8?Q?=A9?=',
      'café',
    ],
    ['text around words keeps its spaces', 'Re: =?utf-8?Q?caf=C3=A9?= now', 'Re: café now'],
    ['raw UTF-8 (RFC 6532)', 'Gr\xc3\xbc\xc3\x9fe', 'Grüße'],
    ['raw bytes that are not UTF-8, as windows-1252', 'Gr\xfc\xdfe \x80', 'Grüße €'],
    ['a charset with a language (RFC 2231)', '=?utf-8*de?Q?gr=C3=BCn?=', 'grün'],
    ['an unknown charset left as written', '=?x-unknown?Q?abc?= z', '=?x-unknown?Q?abc?= z'],
    ['ISO-2022-JP', '=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=', '日本語'],
  ])('%s', (_name, input, expected) => {
    expect(decodeHeaderText(bytes(input))).toBe(expected);
  });
});

describe('parseAddressList', () => {
  it.each([
    ['a bare address', 'a@example.com', [{ name: null, address: 'a@example.com' }]],
    [
      'names, quoted and not, with comments',
      '"Doe, Jane" <jane@example.com>, John Roe <john@example.com> (work), c@example.com (Carl)',
      [
        { name: 'Doe, Jane', address: 'jane@example.com' },
        { name: 'John Roe', address: 'john@example.com' },
        { name: 'Carl', address: 'c@example.com' },
      ],
    ],
    ['a name without its address', '"Bob" <>', [{ name: 'Bob', address: null }]],
    ['a local name without a domain', 'alice', [{ name: 'alice', address: null }]],
    [
      'empty elements dropped',
      'a@x.example, , ,b@x.example',
      [
        { name: null, address: 'a@x.example' },
        { name: null, address: 'b@x.example' },
      ],
    ],
    [
      'an empty group',
      'undisclosed-recipients:;',
      [{ name: 'undisclosed-recipients', address: null }],
    ],
    [
      'a group with members, then more',
      'Team: a@x.example, B <b@x.example>;, c@x.example',
      [
        { name: 'Team', address: null },
        { name: null, address: 'a@x.example' },
        { name: 'B', address: 'b@x.example' },
        { name: null, address: 'c@x.example' },
      ],
    ],
    [
      'an obsolete route dropped',
      '<@relay.example:user@host.example>',
      [{ name: null, address: 'user@host.example' }],
    ],
    [
      'an encoded name',
      '=?utf-8?B?SsO2cmc=?= <j@example.de>',
      [{ name: 'Jörg', address: 'j@example.de' }],
    ],
    [
      'escapes in a quoted name',
      '"a \\"b\\" c" <q@x.example>',
      [{ name: 'a "b" c', address: 'q@x.example' }],
    ],
    [
      'an unterminated quote ends at the end',
      '"broken <x@y.example>',
      [{ name: 'broken <x@y.example>', address: null }],
    ],
  ])('%s', (_name, input, expected) => {
    expect(parseAddressList(bytes(input))).toEqual(expected);
  });

  it('joins an unquoted sender name with a comma, and only then', () => {
    expect(joinUnquotedSender(parseAddressList(bytes('Acme, Inc <x@acme.example>')))).toEqual([
      { name: 'Acme, Inc', address: 'x@acme.example' },
    ]);
    const two = parseAddressList(bytes('alice, bob@x.example'));
    expect(joinUnquotedSender(two)).toEqual(two);
  });
});
