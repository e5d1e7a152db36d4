/**
 * The pipe's FETCH framing reads untrusted server bytes and passes bodies on unbuffered: each
 * body must come out whole, in order, under its UID, however the socket splits the answer;
 * anything that is not a body of the whole message is skipped, never passed on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES } from '../../../src/imap/fetch-response-parser.js';
import { PipedFetchParser } from '../../../src/imap/piped-fetch-parser.js';

interface Parsed {
  bodies: { uid: number | undefined; size: number; bytes: string; ended: boolean }[];
  tagged: string | undefined;
  rest: string | undefined;
}

/** Feeds `wire` cut at `cuts`; bodies whose UID `take` refuses are skipped. */
function parse(wire: Buffer, cuts: number[] = [], take = (_uid?: number) => true): Parsed {
  const out: Parsed = { bodies: [], tagged: undefined, rest: undefined };
  const parser = new PipedFetchParser('X1', {
    onBodyStart: (uid, size) => {
      if (!take(uid)) return false;
      out.bodies.push({ uid, size, bytes: '', ended: false });
      return true;
    },
    onBytes: (bytes) => (out.bodies.at(-1)!.bytes += bytes.toString('latin1')),
    onBodyEnd: () => (out.bodies.at(-1)!.ended = true),
    onTagged: (result, rest) => {
      out.tagged = `${result.status} ${result.text}`;
      out.rest = rest.toString('latin1');
    },
  });
  // After the tagged line, the socket's later chunks go to imapflow, not to the parser.
  let at = 0;
  const ends = cuts.filter((c) => c > 0 && c < wire.length).sort((a, b) => a - b);
  for (const cut of [...ends, wire.length]) {
    if (cut <= at) continue;
    const more = parser.push(wire.subarray(at, cut));
    at = cut;
    if (!more) {
      out.rest += wire.subarray(at).toString('latin1');
      break;
    }
  }
  return out;
}

const A = 'Subject: a\r\nMessage-ID: <a@x>\r\n\r\nbody with {5}\r\n and ) parens\r\n';
const B = 'Subject: b\r\n\r\n* 9 FETCH (UID 9 BODY[] {3}\r\nnot a response\r\n';
const wire = (...parts: string[]): Buffer => Buffer.from(parts.join(''), 'latin1');
const WIRE = wire(
  '* 1 FETCH (UID 11 BODY[] {',
  String(A.length),
  '}\r\n',
  A,
  ')\r\n',
  '* 2 FETCH (FLAGS (\\Seen))\r\n',
  '* 3 FETCH (UID 13 BODY[] {',
  String(B.length),
  '}\r\n',
  B,
  ')\r\n',
  'X1 OK Fetch completed.\r\nafter',
);

describe('PipedFetchParser', () => {
  it('passes each body on whole under its UID, and hands back the bytes after the tagged line', () => {
    expect(parse(WIRE)).toEqual({
      bodies: [
        { uid: 11, size: A.length, bytes: A, ended: true },
        { uid: 13, size: B.length, bytes: B, ended: true },
      ],
      tagged: 'OK Fetch completed.',
      rest: 'after',
    });
  });

  it('gives the same bodies however the socket splits the answer', () => {
    const whole = parse(WIRE);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: WIRE.length - 1 }), { maxLength: 40 }),
        (cuts) => {
          expect(parse(WIRE, cuts)).toEqual(whole);
        },
      ),
    );
  });

  it('skips a body it is told to, and what follows still comes whole', () => {
    const parsed = parse(WIRE, [30, 31, 90], (uid) => uid !== 11);
    expect(parsed.bodies).toEqual([{ uid: 13, size: B.length, bytes: B, ended: true }]);
    expect(parsed.tagged).toBe('OK Fetch completed.');
  });

  it('announces a body whose UID comes after it without one (it cannot be placed)', () => {
    const parsed = parse(wire('* 1 FETCH (BODY[] {2}\r\nhi UID 5)\r\nX1 OK done\r\n'));
    expect(parsed.bodies).toEqual([{ uid: undefined, size: 2, bytes: 'hi', ended: true }]);
  });

  it('never passes on a literal that is not the whole message: a part, a range, a header, an unsolicited one', () => {
    const parsed = parse(
      wire(
        '* 1 FETCH (UID 1 BODY[1] {2}\r\nab)\r\n',
        '* 2 FETCH (UID 2 BODY[]<0> {2}\r\ncd)\r\n',
        '* 3 FETCH (UID 3 BODY[HEADER] {2}\r\nef)\r\n',
        '* 4 FETCH (UID 4 ENVELOPE ({2}\r\ngh NIL))\r\n',
        '* OK [ALERT] {2}\r\nij\r\n',
        '* 5 FETCH (UID 5 BODY[] {0}\r\n)\r\n',
        'X1 OK done\r\n',
      ),
    );
    expect(parsed.bodies).toEqual([{ uid: 5, size: 0, bytes: '', ended: true }]);
    expect(parsed.tagged).toBe('OK done');
  });

  it('ends with a refusal as with an OK: the caller sees what came', () => {
    const parsed = parse(
      wire('* 1 FETCH (UID 1 BODY[] {1}\r\nz)\r\nX1 NO Some messages could not be FETCHed\r\n'),
    );
    expect(parsed.bodies).toHaveLength(1);
    expect(parsed.tagged).toBe('NO Some messages could not be FETCHed');
  });

  it('refuses a line over the bound before buffering more of it', () => {
    const long = Buffer.alloc(MAX_LINE_BYTES + 10, 'a');
    expect(() => parse(long)).toThrow(/longer than/);
  });
});
