import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  bodiesHashedByIdentify,
  contentHashIn,
  contentHashOf,
  dedupeKey,
  identify,
  identifyHead,
  normaliseBody,
  parseHeaderFields,
  splitMessage,
} from '../../../src/write/message-identity.js';

const mail = (headers: string[], body: string, eol = '\r\n'): Buffer =>
  Buffer.from([...headers, '', body].join(eol));
const BASE = [
  'From: Ann <ann@example.com>',
  'To: Bob <bob@example.com>',
  'Subject: Lunch',
  'Date: Mon, 1 Jan 2024 10:00:00 +0000',
  'Message-ID: <lunch@example.com>',
];

describe('splitMessage', () => {
  it('splits at the first empty line, CRLF or LF', () => {
    expect(splitMessage(Buffer.from('A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore')).body.toString()).toBe(
      'body\r\n\r\nmore',
    );
    expect(splitMessage(Buffer.from('A: 1\n\nbody')).body.toString()).toBe('body');
    expect(splitMessage(Buffer.from('A: 1\r\n')).body.length).toBe(0);
  });

  it('takes whichever empty line comes first when a message mixes line endings', () => {
    // LF LF in the header, CRLF CRLF in the body: the header ends at the LF LF.
    const early = splitMessage(Buffer.from('A: 1\n\nbody\r\n\r\nmore'));
    expect([early.header.toString(), early.body.toString()]).toEqual([
      'A: 1\n',
      'body\r\n\r\nmore',
    ]);
    // CRLF CRLF first, an LF LF later in the body: the body keeps its LF LF.
    const late = splitMessage(Buffer.from('A: 1\r\n\r\nbody\n\nmore'));
    expect([late.header.toString(), late.body.toString()]).toEqual(['A: 1\r\n', 'body\n\nmore']);
  });
});

describe('parseHeaderFields', () => {
  it('unfolds, lower-cases names and keeps the first of repeated fields', () => {
    const fields = parseHeaderFields(
      Buffer.from('Subject: a long\r\n  folded subject\r\nX-A: 1\r\nx-a: 2\r\n'),
    );
    expect(fields.get('subject')).toBe('a long folded subject');
    expect(fields.get('x-a')).toBe('1');
  });
});

describe('identify', () => {
  const original = mail(BASE, 'See you at noon.\r\n');

  it('gives the same keys when a server adds trace headers or changes line endings', () => {
    const relayed = mail(
      ['Received: from relay by mx; Mon, 1 Jan 2024 10:00:01 +0000', 'X-Spam-Score: 0', ...BASE],
      'See you at noon.\r\n',
    );
    const lf = mail(BASE, 'See you at noon.\n', '\n');
    expect(identify(relayed)).toEqual(identify(original));
    expect(identify(lf)).toEqual(identify(original));
  });

  it('ignores trailing blank lines and header whitespace, which transports change', () => {
    const padded = mail(
      BASE.map((line) => line.replace(': ', ':   ')),
      'See you at noon.\r\n\r\n\r\n',
    );
    expect(identify(padded).contentHash).toBe(identify(original).contentHash);
  });

  it('tells apart two messages that share a Message-ID but not Subject (wildduck#555)', () => {
    const other = mail(
      BASE.map((line) => (line.startsWith('Subject') ? 'Subject: Dinner' : line)),
      'See you at noon.\r\n',
    );
    expect(identify(other).messageId).toBe(identify(original).messageId);
    expect(identify(other).messageIdKey).not.toBe(identify(original).messageIdKey);
  });

  it('tells apart same headers with a different body by content hash only (imapsync#24)', () => {
    const other = mail(BASE, 'See you at one.\r\n');
    expect(identify(other).messageIdKey).toBe(identify(original).messageIdKey);
    expect(identify(other).contentHash).not.toBe(identify(original).contentHash);
  });

  it('keeps the content hash when the Message-ID is rewritten', () => {
    const rewritten = mail(
      BASE.map((line) => (line.startsWith('Message-ID') ? 'Message-ID: <other@target>' : line)),
      'See you at noon.\r\n',
    );
    expect(identify(rewritten).contentHash).toBe(identify(original).contentHash);
  });

  it('reads the <id> part of a Message-ID and has no Message-ID key without one', () => {
    expect(identify(mail(['Message-ID:  <a@b> (comment)'], 'x')).messageId).toBe('<a@b>');
    const none = identify(mail(['Subject: no id'], 'x'));
    expect(none.messageId).toBeUndefined();
    expect(none.messageIdKey).toBeUndefined();
  });

  it('hashes a BODY[TEXT] answer the same as the body of the full source', () => {
    const identity = identify(original);
    expect(contentHashOf(identity.headerDigest, Buffer.from('See you at noon.\r\n'))).toBe(
      identity.contentHash,
    );
  });
});

describe('normaliseBody', () => {
  it('turns bare LF into CRLF, keeps CRLF and lone CR, and drops trailing blank lines and spaces', () => {
    expect(normaliseBody(Buffer.from('a\nb\r\nc\rd\n\n \t\r\n')).toString()).toBe('a\r\nb\r\nc\rd');
    expect(normaliseBody(Buffer.from('\n\nx')).toString()).toBe('\r\n\r\nx');
    expect(normaliseBody(Buffer.from(' \r\n')).length).toBe(0);
  });

  it('is what the content hash covers', () => {
    const identity = identify(mail(BASE, 'line one\nline two\n\n'));
    const expected = createHash('sha256')
      .update(`msg\0${identity.headerDigest}\0`)
      .update(normaliseBody(Buffer.from('line one\nline two\n\n')))
      .update('\0')
      .digest('hex');
    expect(identity.contentHash).toBe(expected);
  });
});

describe('dedupeKey', () => {
  it('uses the Message-ID key in message-id mode, the content hash otherwise, nothing for none', () => {
    const withId = identify(mail(BASE, 'x'));
    const withoutId = identify(mail(BASE.slice(0, 4), 'x'));
    expect(dedupeKey(withId, 'message-id')).toBe(`mid:${withId.messageIdKey}`);
    expect(dedupeKey(withoutId, 'message-id')).toBe(`hash:${withoutId.contentHash}`);
    expect(dedupeKey(withId, 'hash')).toBe(`hash:${withId.contentHash}`);
    expect(dedupeKey(withId, 'none')).toBeUndefined();
  });
});

describe('identify without the content hash of a message with a Message-ID', () => {
  it('leaves the hash out only where the Message-ID key is there, the other keys the same', () => {
    const withId = mail(BASE, 'x');
    const withoutId = mail(BASE.slice(0, 4), 'x');
    const before = bodiesHashedByIdentify();
    const skipped = identify(withId, true);
    expect(skipped).toEqual({ ...identify(withId), contentHash: undefined });
    expect('contentHash' in skipped).toBe(false);
    expect(identify(withoutId, true)).toEqual(identify(withoutId));
    // Hashed: the one without an ID asked to skip, and the three asked for in full.
    expect(bodiesHashedByIdentify() - before).toBe(3);
  });

  it('refuses to make up a content hash it was told to skip', () => {
    const skipped = identify(mail(BASE, 'x'), true);
    expect(() => contentHashIn(skipped)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => dedupeKey(skipped, 'hash')).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(dedupeKey(skipped, 'message-id')).toBe(`mid:${skipped.messageIdKey}`);
  });
});

describe('identifyHead (a message known by its first bytes, to stream it)', () => {
  it('gives the keys identify() gives the whole message, without a content hash', () => {
    const whole = mail(BASE, 'x'.repeat(5000));
    expect(identifyHead(whole.subarray(0, 1000))).toEqual(identify(whole, true));
    expect(identifyHead(whole.subarray(0, 1000))!.contentHash).toBeUndefined();
  });

  it('gives nothing when the header does not end within the head, or has no Message-ID', () => {
    const whole = mail(BASE, 'body');
    const headerEnd = whole.indexOf('\r\n\r\n');
    expect(identifyHead(whole.subarray(0, headerEnd + 3))).toBeUndefined();
    expect(identifyHead(whole.subarray(0, headerEnd + 4))).toEqual(identify(whole, true));
    const noId = mail(BASE.slice(0, 4), 'x'.repeat(100));
    expect(identifyHead(noId.subarray(0, 120))).toBeUndefined();
  });

  it('never gives other keys than the whole message has, wherever the head ends (property)', () => {
    // Line ends and empty lines of every kind, so the header's end can be CRLF CRLF, LF LF
    // or cut in between by the head's end.
    const piece = fc.constantFrom('\r\n', '\n', '\r', '\r\n\r\n', '\n\n', 'x', ': ', ' ', 'é');
    const text = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.subarray(BASE), text, text, fc.nat(), (headers, extra, body, cut) => {
        const whole = Buffer.concat([Buffer.from(headers.join('\r\n') + extra), Buffer.from(body)]);
        const head = whole.subarray(0, cut % (whole.length + 1));
        const keys = identifyHead(head);
        if (keys !== undefined) expect(keys).toEqual(identify(whole, true));
      }),
      { numRuns: 2000 },
    );
  });
});
