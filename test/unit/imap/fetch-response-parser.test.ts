/**
 * The bulk FETCH response parser reads untrusted server bytes. Happy path first, then what a
 * broken or hostile server sends: a PROTOCOL_ERROR, or a failure of the one message whose answer
 * it is, never a wrong message or a hang.
 */
import { describe, expect, it } from 'vitest';
import {
  FetchResponseParser,
  MAX_LINE_BYTES,
  type FetchResponse,
  type TaggedResult,
} from '../../../src/imap/fetch-response-parser.js';

interface Parsed {
  responses: FetchResponse[];
  expunges: number;
  tagged: TaggedResult | undefined;
  rest: Buffer | undefined;
}

function parse(chunks: Buffer[], maxLiteralBytes?: number): Parsed {
  const out: Parsed = { responses: [], expunges: 0, tagged: undefined, rest: undefined };
  const parser = new FetchResponseParser(
    'X1',
    {
      onFetch: (response) => out.responses.push(response),
      onExpunge: () => out.expunges++,
      onTagged: (result, rest) => {
        out.tagged = result;
        out.rest = rest;
      },
    },
    maxLiteralBytes,
  );
  for (const chunk of chunks) if (!parser.push(chunk)) break;
  return out;
}

const SOURCE = 'Subject: hi\r\n\r\nbody (with) "quotes" and {braces}\r\n';
const WIRE = Buffer.from(
  `* 1 FETCH (UID 7 FLAGS (\\Seen $Label) RFC822.SIZE ${SOURCE.length} INTERNALDATE "01-Jan-2024 10:00:00 +0000" BODY[] {${SOURCE.length}}\r\n${SOURCE})\r\n` +
    `* 2 FETCH (FLAGS (\\Flagged))\r\n` +
    `* 3 EXPUNGE\r\n` +
    `X1 OK Fetch completed.\r\nleftover`,
);

function errorOf(run: () => unknown): { code?: string; message?: string } {
  try {
    run();
  } catch (error) {
    return error as { code: string };
  }
  return {};
}

describe('FetchResponseParser', () => {
  it('reads a message with a literal body, an unsolicited update, an EXPUNGE and the tagged end', () => {
    const out = parse([WIRE]);
    expect(out.responses).toHaveLength(2);
    const [first, update] = out.responses;
    expect(first!.seq).toBe(1);
    expect([...first!.items].sort()).toEqual(['flags', 'internalDate', 'size', 'source', 'uid']);
    expect(first!.message.uid).toBe(7);
    expect(first!.message.source!.toString()).toBe(SOURCE);
    expect([...first!.message.flags!]).toEqual(['\\Seen', '$Label']);
    expect(update!.seq).toBe(2);
    expect([...update!.items]).toEqual(['flags']);
    expect(out.expunges).toBe(1);
    expect(out.tagged).toEqual({ status: 'OK', tag: 'X1', text: 'Fetch completed.' });
    expect(out.rest!.toString()).toBe('leftover');
  });

  it('gives the same result however the bytes are cut into chunks', () => {
    const whole = parse([WIRE]);
    for (let cut = 1; cut < WIRE.length; cut++) {
      const split = parse([WIRE.subarray(0, cut), WIRE.subarray(cut)]);
      expect(
        split.responses.map((r) => [r.seq, r.message.uid, r.message.source?.toString()]),
      ).toEqual(whole.responses.map((r) => [r.seq, r.message.uid, r.message.source?.toString()]));
      expect(split.tagged).toEqual(whole.tagged);
    }
    const bytes = [...WIRE].map((byte) => Buffer.from([byte]));
    expect(parse(bytes).responses).toHaveLength(2);
  });

  it('reads item names in any case, partial bodies and parts, also past the bound of names it keeps', () => {
    // Item names are resolved once and kept (fetch-message.ts, at most 512): 600 part numbers
    // and the same names again in other cases must each still land in their own field.
    const parts = Array.from({ length: 600 }, (_, i) => `BODY[${i + 1}] "p${i + 1}"`).join(' ');
    const wire = Buffer.from(
      `* 1 FETCH (uid 5 Flags (\\Seen) body[]<0> {2}\r\nab ${parts})\r\n` +
        `* 2 FETCH (UID 6 FLAGS () BODY[] "whole" body[2.MIME] "mime" BODY[1] "again")\r\n` +
        'X1 OK done\r\n',
    );
    const [first, second] = parse([wire]).responses;
    expect(first!.message).toMatchObject({ uid: 5, flags: new Set(['\\Seen']) });
    expect(first!.message.source?.toString()).toBe('ab');
    expect(first!.message.bodyParts?.size).toBe(600);
    expect(first!.message.bodyParts?.get('600')?.toString()).toBe('p600');
    expect(second!.message.uid).toBe(6);
    expect(second!.message.source?.toString()).toBe('whole');
    expect([...second!.message.bodyParts!].map(([k, v]) => [k, v.toString()])).toEqual([
      ['2.MIME', 'mime'],
      ['1', 'again'],
    ]);
  });

  it.each([
    ['a UID that is not a number', '* 1 FETCH (UID abc FLAGS ())\r\n'],
    ['a UID of zero', '* 1 FETCH (UID 0 FLAGS ())\r\n'],
    ['a UID beyond 32 bits', '* 1 FETCH (UID 99999999999 FLAGS ())\r\n'],
    ['a sequence number that is not a number', '* x FETCH (UID 1)\r\n'],
    ['a size that is not a number, and no UID', '* 1 FETCH (RFC822.SIZE -5)\r\n'],
    ['an unbalanced ")" before any UID', '* 1 FETCH (FLAGS ()) UID 1)\r\n'],
    ['a FETCH without its item list', '* 1 FETCH UID 1\r\n'],
    ['a line that is no IMAP response', 'garbage here\r\n'],
    ['a 20-digit literal size', '* 1 FETCH (UID 1 BODY[] {99999999999999999999}\r\n'],
  ])('refuses %s with PROTOCOL_ERROR', (_name, text) => {
    expect(errorOf(() => parse([Buffer.from(text + 'X1 OK done\r\n')])).code).toBe(
      'PROTOCOL_ERROR',
    );
  });

  // One message's answer that breaks the grammar but names its UID fails that message alone
  // (issue 24): the answers after it are read, the command ends normally.
  it.each([
    ['a size that is not a number', '* 1 FETCH (UID 1 RFC822.SIZE -5)', /RFC822.SIZE "-5"/],
    ['an unbalanced ")"', '* 1 FETCH (UID 1)) FLAGS', /without its "\("/],
    ['an unclosed "("', '* 1 FETCH (UID 1 FLAGS (\\Seen)', /without its "\)"/],
    [
      'an unterminated quoted string',
      '* 1 FETCH (UID 1 INTERNALDATE "01-Jan-2024)',
      /without its closing quote/,
    ],
    ['an item without a value', '* 1 FETCH (UID 1 FLAGS)', /an item without a value/],
    ['a NUL byte outside a literal', '* 1 FETCH (UID 1 FLAGS (\\Seen\0))', /NUL/],
    [
      'lists nested deeper than the tokenizer follows',
      `* 1 FETCH (UID 1 BODYSTRUCTURE ${'('.repeat(10_001)}${')'.repeat(10_001)})`,
      /nested deeper than 10000 levels/,
    ],
  ])('fails only the message whose answer has %s', (_name, text, problem) => {
    const next = '* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n';
    const out = parse([Buffer.from(`${text}\r\n${next}X1 OK done\r\n`)]);
    expect(out.tagged?.status).toBe('OK');
    const [damaged, good] = out.responses;
    expect(damaged).toMatchObject({ seq: 1, damaged: true, message: { uid: 1 } });
    expect(damaged!.message.problem).toMatchObject({ code: 'MESSAGE_UNPARSABLE' });
    expect(damaged!.message.problem!.message).toMatch(problem);
    expect(good).toMatchObject({ seq: 2, message: { uid: 2 } });
    expect(good!.damaged).toBeUndefined();
  });

  it('keeps a BODYSTRUCTURE beyond the MIME limits out of the message, naming the problem', () => {
    let structure = '("text" "plain" NIL NIL NIL "7bit" 1 1)';
    for (let level = 0; level < 200; level++) structure = `(${structure} "mixed")`;
    const out = parse([
      Buffer.from(`* 1 FETCH (UID 1 BODYSTRUCTURE ${structure})\r\nX1 OK done\r\n`),
    ]);
    const [response] = out.responses;
    expect(response!.damaged).toBeUndefined();
    expect([...response!.items]).toEqual(['uid', 'bodyStructure']);
    expect(response!.message.bodyStructure).toBeUndefined();
    expect(response!.message.problem?.message).toMatch(/nested deeper than 128 levels/);
  });

  it('refuses a literal larger than the caller allows before buffering it', () => {
    const error = errorOf(() => parse([Buffer.from('* 1 FETCH (UID 1 BODY[] {5000}\r\n')], 4096));
    expect(error.code).toBe('PROTOCOL_ERROR');
    expect(error.message).toMatch(/5000 bytes, over the limit of 4096/);
  });

  it('refuses a line without end once it passes the line bound, holding no more than that', () => {
    const parser = new FetchResponseParser('X1', {
      onFetch: () => undefined,
      onExpunge: () => undefined,
      onTagged: () => undefined,
    });
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let error: { code?: string } | undefined;
    let pushed = 0;
    try {
      for (; pushed < 64; pushed++) parser.push(chunk);
    } catch (caught) {
      error = caught as { code: string };
    }
    expect(error?.code).toBe('PROTOCOL_ERROR');
    expect(pushed * chunk.length).toBeLessThanOrEqual(MAX_LINE_BYTES + chunk.length);
  });

  it('waits for a literal that lies about its size rather than reading past it', () => {
    // {50} announced, 10 bytes sent, then the tagged line: the parser takes it as literal data
    // and keeps waiting; the command's deadline ends it (tested in the integration suite).
    const out = parse([
      Buffer.from('* 1 FETCH (UID 1 BODY[] {50}\r\n0123456789)\r\nX1 OK done\r\n'),
    ]);
    expect(out.tagged).toBeUndefined();
    expect(out.responses).toHaveLength(0);
  });

  it('answers several pending commands by tag, in the order they come, and refuses a tag nobody sent', () => {
    const pending = new Set(['X7', 'X8']);
    const answered: TaggedResult[] = [];
    let rest: Buffer = Buffer.alloc(0);
    const parser = new FetchResponseParser((tag) => pending.has(tag), {
      onFetch: () => undefined,
      onExpunge: () => undefined,
      onTagged: (result, after) => {
        answered.push(result);
        pending.delete(result.tag);
        rest = after;
      },
    });
    // Untagged updates between the answers; the second answer comes first.
    let input: Buffer = Buffer.from(
      '* 9 EXISTS\r\nX8 OK [APPENDUID 1 5] second\r\n* 1 RECENT\r\nX7 NO [OVERQUOTA] first\r\n',
    );
    while (!parser.push(input)) input = rest;
    expect(answered).toEqual([
      { status: 'OK', tag: 'X8', text: '[APPENDUID 1 5] second' },
      { status: 'NO', tag: 'X7', text: '[OVERQUOTA] first' },
    ]);
    expect(() => parser.push(Buffer.from('X9 OK stray\r\n'))).toThrow(
      expect.objectContaining({ code: 'PROTOCOL_ERROR' }),
    );
  });
});
