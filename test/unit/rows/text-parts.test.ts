import type { MessageStructureObject } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { decodePart, transferDecode } from '../../../src/rows/decode-part.js';
import { textParts, type TextPart } from '../../../src/rows/text-parts.js';

const leaf = (
  part: string,
  type: string,
  extra: Partial<MessageStructureObject> = {},
): MessageStructureObject => ({ part, type, ...extra }) as MessageStructureObject;
const multi = (
  part: string | undefined,
  type: string,
  childNodes: MessageStructureObject[],
): MessageStructureObject => ({ part, type, childNodes }) as MessageStructureObject;
const sections = (structure: MessageStructureObject) => {
  const found = textParts(structure);
  return { text: found.text.map((p) => p.section), html: found.html.map((p) => p.section) };
};

describe('textParts', () => {
  it('takes a single-part message as part 1', () => {
    expect(sections(leaf(undefined as unknown as string, 'text/plain'))).toEqual({
      text: ['1'],
      html: [],
    });
  });

  it('takes the last alternative that has each kind, looking inside related', () => {
    const structure = multi(undefined, 'multipart/alternative', [
      leaf('1', 'text/plain'),
      leaf('2', 'text/enriched'),
      multi('3', 'multipart/related', [leaf('3.1', 'text/html'), leaf('3.2', 'image/png')]),
    ]);
    expect(sections(structure)).toEqual({ text: ['1'], html: ['3.1'] });
  });

  it('takes every inline text part of a mixed message in order, and nothing of an attachment', () => {
    const structure = multi(undefined, 'multipart/mixed', [
      leaf('1', 'text/plain'),
      leaf('2', 'text/plain', { disposition: 'attachment' }),
      leaf('3', 'text/plain', { parameters: { name: 'notes.txt' } }),
      leaf('4', 'message/rfc822', { childNodes: [leaf('4.1', 'text/plain')] }),
      leaf('5', 'application/pdf'),
      leaf('6', 'text/html', { disposition: 'inline' }),
      leaf('7', 'text/plain'),
    ]);
    expect(sections(structure)).toEqual({ text: ['1', '7'], html: ['6'] });
  });

  it('reads charset, encoding and format=flowed from the part', () => {
    const [part] = textParts(
      leaf('1', 'text/plain', {
        encoding: 'Quoted-Printable',
        parameters: { charset: 'ISO-8859-1', format: 'Flowed', delsp: 'Yes' },
      }),
    ).text;
    expect(part).toEqual({
      section: '1',
      encoding: 'quoted-printable',
      charset: 'ISO-8859-1',
      flowed: true,
      delSp: true,
      size: 0,
    });
  });
});

const part = (extra: Partial<TextPart> = {}): TextPart => ({
  section: '1',
  encoding: '7bit',
  charset: null,
  flowed: false,
  delSp: false,
  size: 0,
  ...extra,
});
const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('decodePart', () => {
  it.each([
    ['base64 UTF-8', 'w6TDtsO8IMOf', part({ encoding: 'base64', charset: 'utf-8' }), 'äöü ß'],
    [
      'quoted-printable with soft breaks and padding before them',
      'Gr=FC=DFe, a long=  \r\n line=\r\n.',
      part({ encoding: 'quoted-printable', charset: 'iso-8859-1' }),
      'Grüße, a long line.',
    ],
    ['a broken = left as it is', 'a = b =ZZ', part({ encoding: 'quoted-printable' }), 'a = b =ZZ'],
    ['CRLF to LF', 'one\r\ntwo\r\n', part(), 'one\ntwo\n'],
    [
      'format=flowed, delsp=no',
      'one \r\ntwo\r\n>quoted\r\n',
      part({ flowed: true }),
      'one two\n>quoted\n',
    ],
    ['format=flowed, delsp=yes', 'wo \r\nrd\r\n', part({ flowed: true, delSp: true }), 'word\n'],
    ['no charset: UTF-8, else windows-1252', 'caf\xe9 \x80', part(), 'café €'],
    ['us-ascii over UTF-8 bytes: UTF-8', 'caf\xc3\xa9', part({ charset: 'US-ASCII' }), 'café'],
  ])('%s', (_name, input, given, expected) => {
    expect(decodePart(latin1(input), given).text).toBe(expected);
  });

  it('warns about a charset it cannot decode and still gives the text', () => {
    const decoded = decodePart(latin1('plain'), part({ charset: 'x-martian' }));
    expect(decoded).toEqual({
      text: 'plain',
      warning: 'part 1: unknown charset "x-martian", read as UTF-8 or windows-1252',
    });
  });

  it('undoes uuencode', () => {
    const encoded = `begin 644 hello.txt\n${'+:&5L;&\\@=V]R;&0`'}\n\`\nend\n`;
    expect(transferDecode(latin1(encoded), 'x-uuencode').toString()).toBe('hello world');
  });
});
