/**
 * Rows from one MIME tree (issue 13): select "text" fetches the text and html parts that
 * BODYSTRUCTURE names, by section, never a whole source nor an attachment byte; select "full"
 * adds each attachment by its section and hashes it. Both agree with an independent parser
 * (mailparser over the whole source) on every message the tests have but one, named below.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { read } from '../../src/index.js';
import { parseBody } from '../../src/rows/parse-body.js';
import { CORPUS } from '../helpers/corpus.js';
import { commandRecorder } from '../helpers/command-recorder.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { REPO_ROOT } from '../helpers/repo-files.js';
import { seedMailbox } from '../helpers/seed.js';

const NEW = ['mixed-inline-text.eml', 'alternative-related.eml', 'flowed.eml', 'forwarded.eml'];
const eml = (name: string): Buffer => readFileSync(join(REPO_ROOT, 'test/fixtures/eml', name));

type Row = {
  uid: number;
  folder: string;
  subject: string;
  text?: string | null;
  html?: string | null;
  attachments: { part: string; size: number | null; sha256: string | null }[];
  parseWarnings: string[];
};

let user: { name: string; password: string };
beforeAll(async () => {
  user = freshUser('txt');
  await seedMailbox(dovecot(), user, {
    ...CORPUS,
    INBOX: [...CORPUS.INBOX!, ...NEW.map((name) => ({ source: eml(name) }))],
  });
});

describe('text and full rows from BODYSTRUCTURE', () => {
  it('agree with mailparser over the whole source (the independent parser): text, html, attachment sizes and hashes', async () => {
    const text = (await read(makeConfig(user), 'ALL', { select: 'text' })).rows as Row[];
    const full = (await read(makeConfig(user), 'ALL', { select: 'full', raw: true }))
      .rows as (Row & { raw: string })[];
    expect(text.length).toBe(full.length);
    expect(text.length).toBeGreaterThan(12);
    for (const [i, row] of full.entries()) {
      const where = `${row.folder} ${row.uid} ${row.subject}`;
      const reference = await parseBody(Buffer.from(row.raw, 'base64'));
      // Text rows are full rows without attachment bytes.
      expect(text[i]!.text, where).toEqual(row.text);
      expect(text[i]!.html, where).toEqual(row.html);
      expect(text[i]!.attachments, where).toEqual(
        row.attachments.map((a) => ({ ...a, size: null, sha256: null })),
      );
      expect(
        row.attachments.map((a) => [a.size, a.sha256]),
        where,
      ).toEqual(reference.attachments!.map((a) => [a.size, a.sha256]));
      // The one known disagreement: a flowed line of a single space is a space-stuffed empty
      // line (RFC 3676 4.4: unstuff first, then look for the trailing space); mailparser
      // reads it as a soft break and joins it to the signature line. Asserted below.
      if (row.subject === 'flowed') continue;
      expect(row.text?.trimEnd() ?? null, where).toEqual(reference.text?.trimEnd() ?? null);
      expect(row.html?.trimEnd() ?? null, where).toEqual(
        typeof reference.html === 'string' ? reference.html.trimEnd() : null,
      );
    }
  });

  it('decodes what the new fixtures hold: QP latin1, inline parts in order, related html, flowed, a forwarded message as an attachment', async () => {
    const rows = (await read(makeConfig(user), 'ALL FOLDER INBOX', { select: 'text' }))
      .rows as Row[];
    const bySubject = new Map(rows.map((row) => [row.subject, row]));
    expect(bySubject.get('mixed with inline text')?.text).toBe(
      'Grüße aus Köln, this line is long enough to be wrapped by a soft line break here.\nZweiter Teil: äöü\n',
    );
    expect(bySubject.get('alternative with related html')).toMatchObject({
      text: 'Plain version: café',
      html: '<p>HTML version: café <img src="cid:logo@x"></p>',
    });
    expect(bySubject.get('flowed')?.text).toBe(
      'This paragraph is written as flowed text and continues on the next line without a break.\nFrom the start, a stuffed line.\n\n-- \nAnn\n',
    );
    expect(bySubject.get('forwarded message')).toMatchObject({
      text: 'See the message below.',
      attachments: [{ part: '2', size: null, sha256: null }],
    });
  });

  it('fetches text parts by section only: no whole source, no attachment byte', async () => {
    const log = commandRecorder();
    await read(makeConfig(user), 'ALL FOLDER INBOX', { select: 'text', logger: log.logger });
    const fetches = log.sent().filter((line) => line.startsWith('UID FETCH'));
    expect(fetches.join('\n')).not.toMatch(/BODY\.PEEK\[\]/);
    // mixed-inline-text: its text parts 1 and 3, not report.pdf (2); alternative-related: the
    // plain part 1 and the html 2.1, not the logo (2.2).
    expect(fetches.some((line) => line.endsWith('(UID BODY.PEEK[1] BODY.PEEK[3])'))).toBe(true);
    expect(fetches.some((line) => line.endsWith('(UID BODY.PEEK[1] BODY.PEEK[2.1])'))).toBe(true);
    expect(fetches.join('\n')).not.toMatch(/BODY\.PEEK\[2\.2\]/);
  });
});

describe('full rows of large attachments', () => {
  it('fetches parts within the byte budget, several UID FETCHes, and hashes each attachment right', async () => {
    const big = freshUser('big');
    // Three messages with a 7 MB file each (about 9.5 MB of base64): over the 16 MB budget
    // together, so their parts come in more than one UID FETCH of the same sections.
    const files = [1, 2, 3].map((n) => Buffer.alloc(7 * 1024 * 1024, n * 37));
    const sources = files.map((file, n) =>
      Buffer.from(
        [
          `Subject: big ${n}`,
          `Message-ID: <big-${n}@test>`,
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b"',
          '',
          '--b',
          'Content-Type: text/plain',
          '',
          `file ${n}`,
          '--b',
          `Content-Type: application/octet-stream; name="f${n}.bin"`,
          'Content-Transfer-Encoding: base64',
          '',
          file.toString('base64').replace(/.{76}/g, '$&\r\n'),
          '--b--',
          '',
        ].join('\r\n'),
      ),
    );
    await seedMailbox(dovecot(), big, { INBOX: sources.map((source) => ({ source })) });
    const log = commandRecorder();
    const page = await read(makeConfig(big), 'ALL', { select: 'full', logger: log.logger });
    const rows = page.rows as Row[];
    expect(rows.map((row) => row.attachments.map((a) => [a.size, a.sha256]))).toEqual(
      files.map((file) => [[file.length, createHash('sha256').update(file).digest('hex')]]),
    );
    const partFetches = log
      .sent()
      .filter((line) => line.startsWith('UID FETCH') && line.includes('BODY.PEEK[2]'));
    expect(partFetches.length).toBeGreaterThanOrEqual(2);
  });
});
