/**
 * What rows contain and what reading costs the mailbox: decoded headers, attachments, missing
 * Date / Message-ID, duplicate Message-IDs, select full, JSONata projections, read-only access,
 * and proof (protocol log and Dovecot's own counters) that envelope rows download no body.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { discover, read, testQuery } from '../../src/index.js';
import { readRepoJson as readPackageJson } from '../helpers/repo-files.js';
import { commandRecorder } from '../helpers/command-recorder.js';
import { formatIssues, validateRowSchema } from '../../src/validators.js';
import { corpusUser } from '../helpers/corpus.js';
import { eml } from '../helpers/fixtures.js';
import { seedMailbox } from '../helpers/seed.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { startSilentServer } from '../helpers/silent-server.js';

type Row = Record<string, unknown> & {
  subject: string;
  folder: string;
  uid: number;
  flags: string[];
};

let user: { name: string; password: string };
let envelopeRows: Row[];
beforeAll(async () => {
  user = await corpusUser();
  envelopeRows = (await read(makeConfig(user), 'ALL')).rows as Row[];
});
const bySubject = (rows: Row[], subject: string, folder = 'INBOX'): Row =>
  rows.find((r) => r.subject === subject && r.folder === folder)!;

describe('rows', () => {
  it('match the row schema, every one', () => {
    for (const row of envelopeRows) {
      const valid = validateRowSchema(structuredClone(row));
      expect(formatIssues(valid ? [] : validateRowSchema.errors), row.subject).toEqual([]);
    }
  });

  it('are the same over implicit TLS and STARTTLS (the bulk FETCH path reads the TLS socket)', async () => {
    const tls = (
      await read(
        makeConfig(user, { security: 'tls', port: dovecot().imapsPort, caFile: dovecot().caFile }),
        'ALL',
        { select: 'full' },
      )
    ).rows;
    const starttls = (
      await read(makeConfig(user, { security: 'starttls', caFile: dovecot().caFile }), 'ALL', {
        select: 'full',
      })
    ).rows;
    const plain = (await read(makeConfig(user), 'ALL', { select: 'full' })).rows;
    expect(tls).toEqual(plain);
    expect(starttls).toEqual(plain);
  });

  it('are the same on every run', async () => {
    expect((await read(makeConfig(user), 'ALL')).rows).toEqual(envelopeRows);
  });

  it('decode encoded words in names and subjects, and keep sender details', () => {
    expect(bySubject(envelopeRows, 'Überweisung erhalten')).toMatchObject({
      from: [{ name: 'Jürgen Müller', address: 'juergen@example.de' }],
      to: [{ name: null, address: 'alice@example.com' }],
      messageId: '<alt-1@example.de>',
      headerDate: '2024-01-16T14:05:00.000Z',
      hasAttachments: false,
      parseWarnings: [],
    });
  });

  it('carry reply threading and a stable RFC 5092 id', () => {
    const reply = bySubject(envelopeRows, 'Re: Quarterly numbers', 'Sent');
    expect(reply).toMatchObject({
      inReplyTo: '<plain-1@example.com>',
      references: ['<plain-1@example.com>'],
      flags: ['\\Seen'],
    });
    expect(reply.id).toMatch(
      new RegExp(`^imap://${user.name}@127\\.0\\.0\\.1/Sent;UIDVALIDITY=\\d+/;UID=1$`),
    );
  });

  it('list attachments from BODYSTRUCTURE without downloading them', () => {
    expect(bySubject(envelopeRows, 'Invoice 2024-001')).toMatchObject({
      hasAttachments: true,
      flags: ['$Important', '\\Flagged'],
      attachments: [
        {
          part: '2',
          filename: 'invoice-2024-001.pdf',
          contentType: 'application/pdf',
          disposition: 'attachment',
          contentId: null,
          encodedSize: expect.any(Number),
          size: null,
          sha256: null,
        },
      ],
    });
  });

  it('fall back to the internal date, with warnings, when Date and Message-ID are missing', () => {
    const row = bySubject(envelopeRows, 'Nightly job finished');
    expect(row).toMatchObject({
      messageId: null,
      headerDate: null,
      date: '2024-01-18T12:00:00.000Z',
      internalDate: '2024-01-18T12:00:00.000Z',
    });
    expect(row.parseWarnings).toEqual([
      'no Date header; date is the internal date',
      'no Message-ID header',
    ]);
  });

  it('keep two different messages that share a Message-ID apart', () => {
    const dupes = envelopeRows.filter((r) => r.messageId === '<same@example.com>');
    expect(dupes.map((r) => r.subject)).toEqual(['Duplicate id one', 'Duplicate id two']);
    expect(new Set(dupes.map((r) => r.id)).size).toBe(2);
  });

  it('format dates as dateTimeFormat says', async () => {
    const rows = (
      await read(
        makeConfig(user, { dateTimeFormat: 'yyyy-MM-dd HH:mm' }),
        'SUBJECT "Quarterly" FOLDER INBOX',
      )
    ).rows as Row[];
    expect(rows[0]).toMatchObject({
      headerDate: '2024-01-15 08:30',
      internalDate: '2024-01-15 12:00',
    });
    const epoch = (
      await read(
        makeConfig(user, { dateTimeFormat: 'epochMillis' }),
        'SUBJECT "Quarterly" FOLDER INBOX',
      )
    ).rows as Row[];
    expect(epoch[0]!.headerDate).toBe(Date.UTC(2024, 0, 15, 8, 30));
  });
});

describe('read with select full', () => {
  it('adds text, html and attachment size and sha256', async () => {
    const rows = (
      await read(makeConfig(user), 'OR SUBJECT "Invoice" SUBJECT "Überweisung" FOLDER INBOX', {
        select: 'full',
      })
    ).rows as Row[];
    const pdf = Buffer.from(
      'JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8PC9Sb290IDEgMCBSPj4KJSVFT0YK',
      'base64',
    );
    expect(bySubject(rows, 'Invoice 2024-001')).toMatchObject({
      text: 'Your invoice is attached.',
      html: null,
      attachments: [{ size: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex') }],
    });
    expect(bySubject(rows, 'Überweisung erhalten')).toMatchObject({
      text: 'Die Überweisung ist eingegangen.',
      html: '<p>Die &Uuml;berweisung ist eingegangen.</p>',
    });
  });

  it('hashes large attachments exactly, whether their base64 lines are regular or not', async () => {
    const lined = (bytes: Buffer, width: number, eol: string): string =>
      (bytes.toString('base64').match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join(eol) + eol;
    const files = [randomBytes(900_000), randomBytes(700_000), randomBytes(300_000)];
    // The second part has a space for a letter (lines still aligned: the slice decodes short)
    // and then changes its line width, as some gateways write it. From the space on it is
    // decoded the old way; its bytes are what Node makes of the whole part.
    const second = lined(files[1]!, 76, '\r\n');
    const attachments = [
      lined(files[0]!, 76, '\r\n'),
      second.slice(0, 200_000) +
        ' ' +
        second.slice(200_001, 400_000) +
        second
          .slice(400_000)
          .replace(/\r\n/g, '')
          .match(/.{1,60}/g)!
          .join('\r\n') +
        '\r\n',
      lined(files[2]!, 64, '\n'),
    ];
    const decoded = attachments.map((text) => Buffer.from(text, 'base64'));
    expect(decoded[1]!.equals(files[1]!)).toBe(false);
    const big = freshUser('bigatt');
    const parts = attachments.map(
      (text, i) =>
        `--b\r\nContent-Type: application/octet-stream; name="f${i}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${text}`,
    );
    await seedMailbox(dovecot(), big, {
      INBOX: [
        {
          source:
            'Message-ID: <big-att@x>\r\nSubject: files\r\nMIME-Version: 1.0\r\n' +
            'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee files\r\n' +
            parts.join('') +
            '--b--\r\n',
        },
      ],
    });
    const digest = (bytes: Buffer) => ({
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    const [hashed] = (await read(makeConfig(big), 'ALL', { select: 'full' })).rows as Row[];
    expect(hashed!.attachments).toMatchObject(decoded.map(digest));
    const [withContent] = (
      await read(makeConfig(big), 'ALL', { attachmentContentMaxBytes: 1_000_000 })
    ).rows as Row[];
    expect(withContent!.attachments).toMatchObject(
      decoded.map((bytes) => ({ ...digest(bytes), content: bytes.toString('base64') })),
    );
  });

  it('never marks a message as seen (EXAMINE and BODY.PEEK)', async () => {
    const flagsBefore = envelopeRows.map((r) => r.flags);
    await read(makeConfig(user), 'ALL', { select: 'full' });
    await testQuery(makeConfig(user), 'ALL', { select: 'full' });
    expect(((await read(makeConfig(user), 'ALL')).rows as Row[]).map((r) => r.flags)).toEqual(
      flagsBefore,
    );
  });
});

describe('hard messages', () => {
  it('decode 8-bit headers and charset aliases, and read MIME without a closing boundary', async () => {
    const fresh = freshUser('h');
    await seedMailbox(dovecot(), fresh, {
      INBOX: [{ source: eml('8bit-headers.eml') }, { source: eml('broken-mime.eml') }],
    });
    const envelope = (await read(makeConfig(fresh), 'ALL FOLDER INBOX')).rows as Row[];
    expect(envelope[0]).toMatchObject({
      subject: 'Grüße aus Köln',
      from: [{ name: 'Jörg Schröder', address: 'joerg@example.de' }],
    });
    expect(envelope[1]).toMatchObject({
      subject: 'Scan without closing boundary',
      hasAttachments: true,
      attachments: [{ filename: '€-report.txt', contentType: 'text/plain' }],
    });
    const full = (
      await read(makeConfig(fresh), 'ALL FOLDER INBOX', {
        select: 'full',
        attachmentContentMaxBytes: 1024,
      })
    ).rows as Row[];
    expect(full[0]).toMatchObject({ text: 'Viele Grüße.\n' });
    expect(full[1]).toMatchObject({
      text: expect.stringContaining('See the attached report.'),
      attachments: [
        {
          filename: '€-report.txt',
          size: expect.any(Number),
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      ],
    });
    const content = (full[1]!.attachments as { content: string }[])[0]!.content;
    expect(Buffer.from(content, 'base64').toString()).toContain('Totals: 100 EUR');
  });
});

describe('what a read fetches', () => {
  it('sends no body fetch for envelope rows, and the MIME parts by section for full rows', async () => {
    const envelope = commandRecorder();
    await read(makeConfig(user), 'ALL FOLDER INBOX', { logger: envelope.logger });
    const fetches = envelope.sent().filter((c) => c.startsWith('UID FETCH'));
    expect(fetches[0]).toMatch(
      /^UID FETCH 1:7 \(.*ENVELOPE.*BODYSTRUCTURE|^UID FETCH 1:7 \(.*BODYSTRUCTURE.*ENVELOPE/,
    );
    // Clean non-ASCII text (the corpus has some) needs no second look at the header.
    expect(fetches).toHaveLength(1);
    for (const fetch of fetches) expect(fetch).not.toMatch(/BODY\.PEEK\[\]|RFC822[^.]|BODY\[/);
    const full = commandRecorder();
    await read(makeConfig(user), 'ALL FOLDER INBOX', { logger: full.logger, select: 'full' });
    const fullFetches = full.sent().filter((c) => c.startsWith('UID FETCH'));
    expect(fullFetches.join('\n')).not.toContain('BODY.PEEK[]');
    expect(fullFetches.some((c) => /BODY\.PEEK\[1\] BODY\.PEEK\[2\]\)$/.test(c))).toBe(true);
  });

  it("shows in Dovecot's own counters that envelope sessions read no body bytes", async () => {
    const fresh = await corpusUser('b');
    const logouts = (): string[] =>
      readFileSync(dovecot().logFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes(`imap(${fresh.name})`) && l.includes('Logged out'));
    const waitForLogouts = async (count: number): Promise<string[]> => {
      for (let i = 0; i < 50 && logouts().length < count; i++)
        await new Promise((r) => setTimeout(r, 50));
      return logouts();
    };
    const seeded = (await waitForLogouts(1)).length;
    await read(makeConfig(fresh), 'ALL');
    const afterEnvelope = await waitForLogouts(seeded + 1);
    expect(afterEnvelope.at(-1)).toMatch(/body_count=0 body_bytes=0/);
    await read(makeConfig(fresh), 'ALL', { select: 'full' });
    const afterFull = await waitForLogouts(seeded + 2);
    // Full rows fetch their parts by section: at least one body fetch per message.
    expect(afterFull.at(-1)).toMatch(/body_count=(1\d|[2-9]\d) body_bytes=[1-9]/);
  });
});

describe('JSONata select', () => {
  it('projects, renames, computes and filters rows', async () => {
    const select =
      '$contains(subject, "Duplicate") ? { "who": from[0].address, "title": $uppercase(subject), "recipients": $count(to) }';
    const result = await read(makeConfig(user), 'ALL FOLDER INBOX', { select });
    expect(result.rows).toEqual([
      { who: 'sender@example.com', title: 'DUPLICATE ID ONE', recipients: 1 },
      { who: 'sender@example.com', title: 'DUPLICATE ID TWO', recipients: 1 },
    ]);
  });

  it('refuses a broken expression with QUERY_INVALID before connecting', async () => {
    const listener = await startSilentServer();
    try {
      await expect(
        read(makeConfig(user, { port: listener.port }), 'ALL', { select: '{ "a": subject' }),
      ).rejects.toMatchObject({
        code: 'QUERY_INVALID',
        field: '/select',
        details: { position: expect.any(Number) },
      });
      expect(listener.connections()).toBe(0);
    } finally {
      await listener.close();
    }
  });
});

describe('testQuery', () => {
  it('reports per folder the search sent, matches, MESSAGES, UIDNEXT and UIDVALIDITY, and sample rows', async () => {
    const log = commandRecorder();
    const result = await testQuery(makeConfig(user), 'FROM "alice@example.com" EXCLUDE Trash', {
      sampleSize: 1,
      logger: log.logger,
    });
    expect(result).toMatchObject({
      ok: true,
      totalMatches: 2,
      sample: [{ subject: 'Quarterly numbers' }],
    });
    const inbox = result.folders.find((f) => f.folder === 'INBOX')!;
    expect(inbox).toMatchObject({
      search: 'UID SEARCH RETURN (ALL) FROM "alice@example.com"',
      matches: 1,
      messages: 7,
      uidNext: 8,
      uidValidity: expect.stringMatching(/^\d+$/),
    });
    expect(result.folders.map((f) => f.folder)).not.toContain('Trash');
    // What testQuery reports is what went over the wire.
    expect(log.sent()).toContain(inbox.search);
  });

  it('returns ok false with the position of a query error', async () => {
    const result = await testQuery(makeConfig(user), 'FROM "a"\nSINCE yesterday');
    expect(result).toMatchObject({
      ok: false,
      code: 'QUERY_INVALID',
      error: { position: { line: 2, column: 7 } },
    });
    expect(result.message).toBe(
      'line 2, column 7: expected a date after SINCE, got "yesterday" (write 1-Jan-2024 or 2024-01-01)',
    );
  });
});

describe('discover', () => {
  it('returns one stream per folder, keyed by id with a UID cursor, and the row schema', async () => {
    const result = await discover(makeConfig(user), 'ALL');
    expect(result.schema).toEqual(readPackageJson('schemas/row.schema.json'));
    expect(result.warnings).toEqual([]);
    const { folders } = await read(makeConfig(user), 'ALL', { pageSize: 1 });
    expect(result.streams.map((s) => s.name)).toEqual(folders);
    expect(result.streams[0]).toEqual({
      name: 'INBOX',
      folder: 'INBOX',
      jsonSchema: result.schema,
      primaryKey: [['id']],
      cursorField: ['uid'],
      supportedSyncModes: ['full_refresh', 'incremental'],
    });
  });

  it('infers a typed schema for a JSONata projection from sampled rows', async () => {
    const { schema, warnings } = await discover(makeConfig(user), 'ALL', {
      select:
        '{ "subject": subject, "size": size, "hasMessageId": messageId != null, "tags": flags }',
    });
    expect(warnings).toEqual([]);
    expect(schema).toMatchObject({
      type: 'object',
      required: ['hasMessageId', 'size', 'subject', 'tags'],
      properties: {
        subject: { type: 'string' },
        size: { type: 'integer' },
        hasMessageId: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' } },
      },
    });
  });

  it('warns about a select that reads fields rows lack instead of giving an empty schema silently', async () => {
    const typo = await discover(makeConfig(user), 'ALL', {
      select: '{ "who": frm.address, "s": subject }',
    });
    expect(typo.warnings).toEqual([
      'select reads "frm", which rows do not have (did you mean "from"?)',
      expect.stringMatching(/^select field "who" was empty in all \d+ sampled rows$/),
    ]);
    const nothing = await discover(makeConfig(user), 'ALL', { select: 'subjct' });
    expect(nothing.warnings).toEqual([
      'select reads "subjct", which rows do not have (did you mean "subject"?)',
      expect.stringMatching(/^select gave nothing for any of the \d+ sampled messages$/),
    ]);
  });
});
