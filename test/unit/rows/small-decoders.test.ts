import { describe, expect, it } from 'vitest';
import { transferDecode } from '../../../src/rows/decode-part.js';
import { parseAddressList } from '../../../src/rows/header-addresses.js';
import { decodeRawBytes } from '../../../src/rows/header-words.js';
import { mimeParameters } from '../../../src/rows/mime-parameters.js';
import { decodeUtf7 } from '../../../src/rows/utf7.js';

describe('decodeUtf7', () => {
  it.each([
    ['Hi Mom -+Jjo--!', 'Hi Mom -\u263a-!'],
    ['A+ImIDkQ.', 'A\u2262\u0391.'],
    ['+ZeVnLIqe-', '\u65e5\u672c\u8a9e'],
    ['1 +- 1 = 2', '1 + 1 = 2'],
    ['plain text only', 'plain text only'],
    ['a lone + at the end +', 'a lone + at the end +'],
  ])('decodes %j (RFC 2152 examples among them)', (input, output) => {
    expect(decodeUtf7(input)).toBe(output);
  });
});

describe('quoted-printable', () => {
  it('drops a soft line break at the very end of the part, and keeps a lone "=" elsewhere', () => {
    const decode = (text: string): string =>
      transferDecode(Buffer.from(text, 'latin1'), 'quoted-printable').toString('latin1');
    expect(decode('soft break at the end=')).toBe('soft break at the end');
    expect(decode('padded soft break=  ')).toBe('padded soft break');
    expect(decode('a=\r\nb')).toBe('ab');
    expect(decode('x = y')).toBe('x = y');
    expect(decode('caf=C3=A9')).toBe('caf\u00c3\u00a9');
  });
});

describe('decodeRawBytes', () => {
  it('reads valid UTF-8 as UTF-8', () => {
    expect(decodeRawBytes(Buffer.from('J\u00fcrgen', 'utf8'))).toBe('J\u00fcrgen');
  });

  it('reads each stray byte of otherwise UTF-8 text as windows-1252, and the rest as UTF-8', () => {
    expect(
      decodeRawBytes(Buffer.from([0x4a, 0xc3, 0xbc, 0x72, 0x20, 0x4d, 0xfc, 0x6c, 0x80])),
    ).toBe('J\u00fcr M\u00fcl\u20ac');
  });
});

describe('parseAddressList', () => {
  it.each([
    ['Jane Doe jane@example.org', [{ name: 'Jane Doe', address: 'jane@example.org' }]],
    ['jane@example.org', [{ name: null, address: 'jane@example.org' }]],
    ['Jane Doe <jane@example.org>', [{ name: 'Jane Doe', address: 'jane@example.org' }]],
    [
      'Jane Doe jane@example.org, bob@example.org',
      [
        { name: 'Jane Doe', address: 'jane@example.org' },
        { name: null, address: 'bob@example.org' },
      ],
    ],
  ])('reads %j', (header, addresses) => {
    expect(parseAddressList(Buffer.from(header, 'latin1'))).toEqual(addresses);
  });
});

describe('mimeParameters', () => {
  it.each([
    ['application; name="report.pdf"', { name: 'report.pdf' }],
    ['attachment; filename=plain.txt', { filename: 'plain.txt' }],
    ["attachment; filename*=utf-8''na%C3%AFve.txt", { filename: 'na\u00efve.txt' }],
    ['attachment; filename*0="long "; filename*1="name.txt"', { filename: 'long name.txt' }],
    ['x; name="=?UTF-8?B?w6k=?="', { name: '\u00e9' }],
  ])('reads %j', (value, parameters) => {
    expect(mimeParameters(value)).toEqual(parameters);
  });
});
