/**
 * Full rows of malformed and unusual MIME (issue 13), against the real Dovecot's BODYSTRUCTURE.
 * Each fixture reproduces a class of wrong values the previous full rows had (from mailparser's
 * own tree matched to BODYSTRUCTURE by type and name): padded delimiter lines (RFC 2046
 * transport padding) that put boundaries into the text, digest children without a Content-Type
 * (RFC 2046 5.1.5: message/rfc822), an invalid Content-Type (RFC 2045 5.2: text/plain), an
 * x-uuencode attachment hashed undecoded, and text parts with a file name, a delivery status and
 * an inline message/rfc822 whose size and hash were null. Expected values are written out from
 * the RFCs, and each hash is of the decoded part.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { read } from '../../src/index.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { REPO_ROOT } from '../helpers/repo-files.js';
import { seedMailbox } from '../helpers/seed.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/eml/malformed');
const sha = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

type Row = {
  subject: string;
  text: string | null;
  attachments: { part: string; contentType: string; size: number | null; sha256: string | null }[];
  parseWarnings: string[];
};

let rows: Map<string, Row>;
beforeAll(async () => {
  const user = freshUser('mal');
  const names = [
    'padded-boundaries.eml',
    'digest-default-types.eml',
    'invalid-content-type.eml',
    'uuencoded-attachment.eml',
    'named-text-and-status.eml',
  ];
  await seedMailbox(dovecot(), user, {
    INBOX: names.map((name) => ({ source: readFileSync(join(FIXTURES, name)) })),
  });
  const page = await read(makeConfig(user), 'ALL', { select: 'full' });
  rows = new Map((page.rows as Row[]).map((row) => [row.subject, row]));
});

describe('full rows of malformed MIME', () => {
  it('(padded delimiter lines) keep boundaries out of the text and hash the part', () => {
    expect(rows.get('padded boundaries')).toMatchObject({
      text: 'The text after a padded delimiter.',
      attachments: [{ part: '2', size: 6, sha256: sha(Buffer.from([0, 1, 2, 3, 4, 5])) }],
      parseWarnings: [],
    });
  });

  it('(digest children without a Content-Type) are message/rfc822 attachments with hashes', () => {
    const row = rows.get('digest without types')!;
    expect(row.text).toBeNull();
    expect(row.attachments.map((a) => [a.part, a.contentType])).toEqual([
      ['1', 'message/rfc822'],
      ['2', 'message/rfc822'],
    ]);
    expect(row.attachments[0]!.sha256).toBe(
      sha('From: one@example.com\r\nSubject: first\r\n\r\nFirst digest entry.'),
    );
  });

  it('(an invalid Content-Type) keeps the body as text/plain', () => {
    expect(rows.get('invalid content type')?.text).toBe(
      'A body under an invalid Content-Type is text/plain (RFC 2045 5.2).\n',
    );
  });

  it('(x-uuencode) hashes the decoded attachment', () => {
    expect(rows.get('uuencoded attachment')?.attachments).toMatchObject([
      { part: '2', size: 11, sha256: sha('hello world') },
    ]);
  });

  it('(a text part with a name, a delivery status, an inline message) each get a size and a hash', () => {
    const row = rows.get('text parts with names')!;
    expect(row.text).toBe('The message text.');
    expect(row.attachments.map((a) => [a.part, a.contentType, a.size])).toEqual([
      ['2', 'text/csv', 8],
      ['3', 'message/delivery-status', expect.any(Number)],
      ['4', 'message/rfc822', expect.any(Number)],
    ]);
    expect(row.attachments[0]!.sha256).toBe(sha('a,b\r\n1,2'));
    for (const attachment of row.attachments) expect(attachment.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(row.parseWarnings).toEqual([]);
  });
});
