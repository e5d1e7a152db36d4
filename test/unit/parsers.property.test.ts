/**
 * Every parser of untrusted input, fed random and mutated input (fast-check): query text and
 * structured queries, cursors, connection configs, batch profiles, CSV mailbox lists, the
 * FETCH and SEARCH response parsers, and header subjects and address lists. Each either gives a result or throws a typed connector
 * error; nothing else escapes (no TypeError, no RangeError, no hang: each run is bounded).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateBatchProfile } from '../../src/batch/batch-profile.js';
import { parseMailboxCsv } from '../../src/batch/mailbox-csv.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { FetchResponseParser } from '../../src/imap/fetch-response-parser.js';
import { SearchResponseParser } from '../../src/imap/search-response-parser.js';
import { isConnectorError } from '../../src/index.js';
import { parseQuery } from '../../src/query/parse.js';
import { toStructuredQuery } from '../../src/query/to-structured-query.js';
import { decodeCursor, encodeCursor } from '../../src/read/cursor.js';
import { parseAddressList } from '../../src/rows/header-addresses.js';
import { envelopeFromHeaders } from '../../src/rows/header-envelope.js';
import { decodeHeaderText } from '../../src/rows/header-words.js';

const RUNS = 300;

/** Runs `parse`; anything thrown must be a connector error. */
function typedOrOk(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    if (!isConnectorError(error)) throw error;
  }
}

/** Text near the valid form: a valid sample with random edits. */
const mutated = (samples: string[]): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom(...samples),
      fc.array(fc.tuple(fc.nat(), fc.nat(4), fc.string({ maxLength: 6, unit: 'binary' })), {
        maxLength: 6,
      }),
    )
    .map(([sample, edits]) =>
      edits.reduce((text, [at, drop, insert]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + drop);
      }, sample),
    );

const json = fc.jsonValue({ maxDepth: 4 });

describe('parsers of untrusted input', () => {
  it('query text', () => {
    const samples = [
      'ALL',
      'OR FROM "a@example.com" SUBJECT "x" SINCE 2024-01-01',
      'NOT (SEEN FLAGGED) FOLDER INBOX EXCLUDE Trash LIMIT 10',
      'HEADER "X-Id" "1" LARGER 100 X-GM-RAW "has:attachment"',
    ];
    fc.assert(
      fc.property(fc.oneof(mutated(samples), fc.string({ unit: 'binary' })), (text) =>
        typedOrOk(() => parseQuery(text)),
      ),
      { numRuns: RUNS },
    );
  });

  it('structured queries', () => {
    fc.assert(
      fc.property(json, (value) =>
        typedOrOk(() =>
          toStructuredQuery(value === null || typeof value !== 'object' ? {} : value),
        ),
      ),
      { numRuns: RUNS },
    );
  });

  it('cursors', () => {
    const valid = encodeCursor({
      v: 2,
      account: 'a'.repeat(16),
      folders: { INBOX: { uidValidity: '7', lastUid: 3, query: 'b'.repeat(16) } },
      done: [],
      remaining: null,
      complete: false,
    });
    const arbitrary = fc.oneof(
      mutated([valid]),
      json.map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')),
    );
    fc.assert(
      fc.property(arbitrary, (text) =>
        typedOrOk(() => decodeCursor(text, { account: 'a'.repeat(16) })),
      ),
      { numRuns: RUNS },
    );
  });

  it('connection configs', () => {
    const near = fc.record(
      {
        server: fc.oneof(fc.string(), fc.constant('imaps://mail.example.com:993')),
        port: fc.oneof(fc.integer(), fc.string()),
        username: fc.string(),
        password: fc.string(),
        security: fc.string(),
        startDate: fc.string(),
        delayBetweenMessages: fc.oneof(fc.string(), fc.double()),
        dateTimeFormat: fc.string(),
        ca: fc.string(),
        foldersInclude: fc.array(fc.string()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(near, json), (value) => typedOrOk(() => validateConfig(value))),
      {
        numRuns: RUNS,
      },
    );
  });

  it('batch profiles', () => {
    const near = fc.record(
      {
        name: fc.string(),
        source: fc.oneof(json, fc.record({ server: fc.string() })),
        destination: fc.oneof(json, fc.record({ archive: fc.string() })),
        mailboxes: fc.oneof(json, fc.record({ csv: fc.string() })),
        throttle: json,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(near, json), (value) =>
        typedOrOk(() => validateBatchProfile(value, '/base')),
      ),
      { numRuns: RUNS },
    );
  });

  it('CSV mailbox lists', () => {
    const samples = [
      'IMAP server;IMAP username;IMAP password;Mailbox;Password\nhost;a;p;m;Pp-123456789\n',
      'a@x.org,secret\nb@x.org,"se,cret"\n',
      "'a@x.org'|'p'\n",
      'a@x.org:pa:ss\n# comment\n\n',
    ];
    fc.assert(
      fc.property(fc.oneof(mutated(samples), fc.string({ unit: 'binary' })), (text) =>
        typedOrOk(() => parseMailboxCsv(text)),
      ),
      { numRuns: RUNS },
    );
  });

  it('FETCH responses, in chunks of any size', () => {
    const samples = [
      '* 1 FETCH (UID 5 FLAGS (\\Seen) RFC822.SIZE 10 BODY[] {10}\r\n0123456789)\r\nA1 OK done\r\n',
      '* 2 FETCH (UID 6 ENVELOPE ("d" "s" NIL NIL NIL NIL NIL NIL NIL "<i@x>"))\r\n* 3 EXPUNGE\r\nA1 OK done\r\n',
    ];
    fc.assert(
      fc.property(mutated(samples), fc.integer({ min: 1, max: 40 }), (text, size) =>
        typedOrOk(() => {
          const parser = new FetchResponseParser(
            'A1',
            { onFetch: () => undefined, onExpunge: () => undefined, onTagged: () => undefined },
            1024,
          );
          const bytes = Buffer.from(text, 'latin1');
          for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
        }),
      ),
      { numRuns: RUNS },
    );
  });

  it('SEARCH responses, in chunks of any size', () => {
    const samples = [
      '* SEARCH 1 2 3 4294967295\r\nA1 OK done\r\n',
      '* ESEARCH (TAG "A1") UID ALL 1:5,7,9:12\r\nA1 OK done\r\n',
      '* OK [ALERT] hi\r\n* SEARCH\r\nA1 NO [THROTTLED] slow\r\n',
    ];
    fc.assert(
      fc.property(mutated(samples), fc.integer({ min: 1, max: 40 }), (text, size) =>
        typedOrOk(() => {
          const parser = new SearchResponseParser('A1', 1000);
          const bytes = Buffer.from(text, 'latin1');
          for (let i = 0; i < bytes.length; i += size)
            if (parser.push(bytes.subarray(i, i + size))) break;
        }),
      ),
      { numRuns: RUNS },
    );
  });

  it('header bytes: subjects and address lists never throw, and an address is always an addr-spec', () => {
    const headers = mutated([
      '=?ISO-8859-1?Q?Fr\xf6sche?= =?utf-8?B?SsO2cmc=?=',
      '"Doe, Jane" <jane@example.com>, Team: a@x.example, (c) b@x.example;, <@r:u@h.example>',
      'Acme, Inc <x@acme.example>\r\nTo: "unterminated <y@z.example>',
    ]);
    fc.assert(
      fc.property(
        fc.oneof(
          headers,
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
        ),
        (text) => {
          const bytes = Buffer.from(text, 'latin1');
          expect(typeof decodeHeaderText(bytes)).toBe('string');
          for (const entry of parseAddressList(bytes)) {
            if (entry.address !== null)
              expect(entry.address).toMatch(/^[^\s<>(),;:]+@[^\s<>(),;:@]+$/);
            expect(entry.name !== null || entry.address !== null).toBe(true);
          }
          envelopeFromHeaders(bytes);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a typed error is what the harness lets through: the check itself can fail', () => {
    expect(() => typedOrOk(() => JSON.parse('{'))).toThrow(SyntaxError);
  });
});
