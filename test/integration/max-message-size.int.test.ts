/**
 * maxMessageSize (issue 9): a message above it is never downloaded; read gives its row from
 * the envelope with a warning, an import lists it as MESSAGE_TOO_LARGE and copies the rest.
 */
import { describe, expect, it } from 'vitest';
import { read, runImport } from '../../src/index.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const small = (i: number): string =>
  `Message-ID: <small-${i}@x>\r\nSubject: small ${i}\r\n\r\nhello\r\n`;
const BIG = `Message-ID: <big@x>\r\nSubject: big\r\n\r\n${'x'.repeat(76).concat('\r\n').repeat(100)}`;

async function mailbox(): Promise<{ name: string; password: string }> {
  const user = freshUser('mx');
  await seedMailbox(dovecot(), user, {
    INBOX: [{ source: small(1) }, { source: BIG }, { source: small(2) }],
  });
  return user;
}

function logger(lines: string[]) {
  const log = (entry: Record<string, unknown>): void => {
    lines.push(String(entry.msg ?? ''));
  };
  return { debug: log, info: log, warn: log, error: log };
}

describe('maxMessageSize', () => {
  it('read gives the big message a row from its envelope, with a warning, and never fetches its body', async () => {
    const user = await mailbox();
    const lines: string[] = [];
    const page = await read(makeConfig(user, { maxMessageSize: 4096 }), 'ALL', {
      select: 'full',
      logger: logger(lines),
    });
    const rows = page.rows as {
      subject: string;
      uid: number;
      text: string | null;
      parseWarnings: string[];
    }[];
    expect(rows.map((row) => row.subject)).toEqual(['small 1', 'big', 'small 2']);
    expect(rows[1]!.parseWarnings).toContainEqual(
      expect.stringMatching(
        /^MESSAGE_TOO_LARGE: the message is \d+ bytes, larger than maxMessageSize \(4096\)/,
      ),
    );
    expect(rows[1]!.text ?? null).toBeNull();
    expect(rows[0]!.text).toMatch(/hello/);
    // Neither the whole source nor a part: every body section but header fields.
    const bodyFetches = lines.filter(
      (line) => /UID FETCH/.test(line) && /BODY\.PEEK\[(?!HEADER\.FIELDS)/.test(line),
    );
    expect(bodyFetches.length).toBeGreaterThan(0);
    expect(bodyFetches.join('\n')).not.toMatch(new RegExp(`UID FETCH [^ ]*\\b${rows[1]!.uid}\\b`));
  });

  it('raw rows: the big message is told apart before the FETCH that downloads bodies', async () => {
    const user = await mailbox();
    const lines: string[] = [];
    const page = await read(makeConfig(user, { maxMessageSize: 4096 }), 'ALL', {
      raw: true,
      logger: logger(lines),
    });
    const rows = page.rows as {
      subject: string;
      uid: number;
      raw?: string;
      parseWarnings: string[];
    }[];
    expect(rows.map((row) => row.subject)).toEqual(['small 1', 'big', 'small 2']);
    expect(rows[1]!.raw).toBeUndefined();
    expect(rows[1]!.parseWarnings.join(' ')).toMatch(/MESSAGE_TOO_LARGE/);
    expect(Buffer.from(rows[0]!.raw!, 'base64').toString()).toMatch(/small 1/);
    const bodyFetches = lines.filter((line) => /UID FETCH .*BODY\.PEEK\[\]/.test(line));
    expect(bodyFetches.length).toBeGreaterThan(0);
    expect(bodyFetches.join('\n')).not.toMatch(new RegExp(`UID FETCH [^ ]*\\b${rows[1]!.uid}\\b`));
  });

  it('an import copies the rest and lists the big one as MESSAGE_TOO_LARGE', async () => {
    const user = await mailbox();
    const result = await runImport(makeConfig(user, { maxMessageSize: 4096 }), {
      destination: { archive: `${tempDir()}/a.archive` },
    });
    expect(result.totals).toMatchObject({ copied: 2, failed: 1 });
    expect(result.folders.find((f) => f.folder === 'INBOX')!.failures).toEqual([
      expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }),
    ]);
  });
});
