/**
 * Classes of real-world mail whose rows were wrong (issue 24, item 12: 12 of 537 messages of a
 * held-out corpus), one fixture per class in test/fixtures/eml/classes, read as full rows from
 * the real Dovecot and compared with what the RFCs say, and with mailparser over the whole
 * source where the two agree. The held-out cases stay held out; these are their classes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { read } from '../../src/index.js';
import { parseBody } from '../../src/rows/parse-body.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { REPO_ROOT } from '../helpers/repo-files.js';
import { seedMailbox } from '../helpers/seed.js';

const DIR = join(REPO_ROOT, 'test/fixtures/eml/classes');
const FILES = readdirSync(DIR)
  .filter((name) => name.endsWith('.eml'))
  .sort();

type Row = {
  subject: string;
  text: string | null;
  from: { name: string | null; address: string | null }[];
  to: { name: string | null; address: string | null }[];
  attachments: { filename: string | null; contentType: string; sha256: string | null }[];
  parseWarnings: string[];
};

const rows = new Map<string, Row>();
beforeAll(async () => {
  const user = freshUser('classes');
  await seedMailbox(dovecot(), user, {
    INBOX: FILES.map((name) => ({ source: readFileSync(join(DIR, name)) })),
  });
  const page = await read(makeConfig(user), 'ALL', { select: 'full' });
  (page.rows as Row[]).forEach((row, i) => rows.set(FILES[i]!, row));
});

const trimmed = (text: string | null): string | null => text?.replace(/\n$/, '') ?? null;

describe('rows of mail in the classes that were wrong', () => {
  it.each([
    ['double-semicolon-boundary.eml', 'body after two semicolons'],
    ['rfc2231-boundary.eml', 'body after an RFC 2231 boundary'],
    ['multipart-star.eml', 'body of a multipart/*'],
    ['multipart-without-subtype.eml', 'body of a multipart without subtype'],
    ['qp-soft-break-at-end.eml', 'soft break at the very end'],
    ['utf7-text.eml', 'Hi Mom -\u263a-!'],
  ])('(%s) has the text a reader sees, as mailparser reads it', async (file, text) => {
    const row = rows.get(file)!;
    expect(trimmed(row.text)).toBe(text);
    const reference = await parseBody(readFileSync(join(DIR, file)));
    expect(trimmed(reference.text)).toBe(text);
  });

  it('(an unquoted name before the address) is that name and that address, not one invented address', () => {
    expect(rows.get('unquoted-name-before-address.eml')!.to).toEqual([
      { name: 'Jane Doe', address: 'jane@example.org' },
    ]);
  });

  it('(a stray byte in a UTF-8 name) spoils that one character, not the whole name', () => {
    expect(rows.get('stray-byte-in-utf8-name.eml')!.from).toEqual([
      { name: 'J\u00fcrgen M\u00fcller', address: 'j@example.org' },
    ]);
  });

  it('(a part with an invalid type) keeps its file name and is an attachment, not text', async () => {
    const row = rows.get('invalid-type-with-name.eml')!;
    expect(trimmed(row.text)).toBe('text');
    // RFC 2045 section 5.2: an invalid Content-Type is text/plain (mailparser says "application").
    expect(row.attachments).toMatchObject([{ filename: 'report.pdf', contentType: 'text/plain' }]);
    const reference = await parseBody(readFileSync(join(DIR, 'invalid-type-with-name.eml')));
    expect(row.attachments[0]!.sha256).toBe(reference.attachments![0]!.sha256);
  });
});
