/**
 * Subjects and addresses that Dovecot's ENVELOPE cannot carry (issue 13), against the real
 * Dovecot: an address without a domain, `Name <>`, an empty list element (Dovecot fills them
 * with MISSING_MAILBOX / MISSING_DOMAIN), a sender name with an unquoted comma, and a raw 8-bit
 * byte inside an encoded word. Rows take those fields from the header bytes, and envelope rows,
 * full rows and the rows an archive keeps agree.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Archive } from '../../src/archive.js';
import { read, runImport } from '../../src/index.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const MESSAGES: Array<[headers: string, expected: Record<string, unknown>]> = [
  [
    'From: a@example.com\r\nTo: undisclosed-recipients:;\r\nSubject: a group',
    { subject: 'a group', to: [{ name: 'undisclosed-recipients', address: null }] },
  ],
  [
    'From: alice\r\nTo: bob\r\nSubject: no domain',
    { from: [{ name: 'alice', address: null }], to: [{ name: 'bob', address: null }] },
  ],
  [
    'From: "Bob" <>\r\nTo: a@example.com, , b@example.com\r\nSubject: empty parts',
    {
      from: [{ name: 'Bob', address: null }],
      to: [
        { name: null, address: 'a@example.com' },
        { name: null, address: 'b@example.com' },
      ],
    },
  ],
  [
    'From: x@example.com\r\nTo: y@example.com\r\nSubject: =?ISO-8859-1?Q?Fr\xf6sche?= und =?ISO-8859-1?Q?Kr=F6ten?=',
    { subject: 'Frösche und Kröten' },
  ],
  [
    'From: Unquoted Name, Inc <x@y.example>\r\nTo: Team: a@example.com, b@example.com;, c@example.com\r\nSubject: unquoted',
    {
      from: [{ name: 'Unquoted Name, Inc', address: 'x@y.example' }],
      to: [
        { name: 'Team', address: null },
        { name: null, address: 'a@example.com' },
        { name: null, address: 'b@example.com' },
        { name: null, address: 'c@example.com' },
      ],
    },
  ],
  [
    'From: =?utf-8?B?SsO2cmc=?= <j@example.de>\r\nTo: Hans M\xc3\xbcller <h@example.de>\r\nSubject: =?utf-8?Q?caf=C3=A9?= =?utf-8?Q?_ok?=',
    {
      subject: 'café ok',
      from: [{ name: 'Jörg', address: 'j@example.de' }],
      to: [{ name: 'Hans Müller', address: 'h@example.de' }],
    },
  ],
];

const source = (headers: string, i: number): Buffer =>
  Buffer.from(
    `${headers}\r\nDate: Fri, 19 Jan 2024 10:00:00 +0000\r\nMessage-ID: <envelope-${i}@test>\r\n\r\nbody ${i}\r\n`,
    'latin1',
  );

const FIELDS = ['subject', 'from', 'sender', 'replyTo', 'to', 'cc', 'bcc'] as const;
const pick = (row: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(FIELDS.map((field) => [field, row[field]]));

let user: { name: string; password: string };

beforeAll(async () => {
  user = freshUser('env');
  await seedMailbox(dovecot(), user, {
    INBOX: MESSAGES.map(([headers], i) => ({ source: source(headers, i) })),
  });
});

describe('rows of messages whose ENVELOPE cannot be trusted', () => {
  it('take subject and addresses from the header bytes: no placeholder ever becomes an address', async () => {
    const page = await read(makeConfig(user), 'ALL');
    const rows = page.rows as Record<string, unknown>[];
    expect(rows).toHaveLength(MESSAGES.length);
    MESSAGES.forEach(([, expected], i) => expect(rows[i], `message ${i}`).toMatchObject(expected));
    expect(JSON.stringify(rows)).not.toMatch(/MISSING_|SYNTAX_ERROR/);
  });

  it('are the same from envelope rows, full rows and the rows an archive keeps', async () => {
    const envelope = (await read(makeConfig(user), 'ALL')).rows as Record<string, unknown>[];
    const full = (await read(makeConfig(user), 'ALL', { select: 'full' })).rows as Record<
      string,
      unknown
    >[];
    expect(full.map(pick)).toEqual(envelope.map(pick));
    const path = `${tempDir()}/e.archive`;
    await runImport(makeConfig(user), { destination: { archive: path } });
    const archive = Archive.open(path, { create: false, readonly: true });
    try {
      // The row each archived message was stored with (what a search of the archive shows).
      const kept = (
        archive.db.prepare('SELECT row FROM messages ORDER BY uid').all() as { row: string }[]
      ).map(({ row }) => pick(JSON.parse(row) as Record<string, unknown>));
      expect(kept).toEqual(envelope.map(pick));
    } finally {
      archive.close();
    }
  });
});
