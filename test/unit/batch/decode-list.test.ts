/**
 * A mailbox list saved by a spreadsheet in Windows-1252 (issue 27): before, decoded as UTF-8
 * anyway, "Müller" became "M\uFFFDller" and the row failed later as a wrong password. Now a byte
 * that is not UTF-8 is refused with its line and column, unless the profile names the encoding.
 */
import { describe, expect, it } from 'vitest';
import { decodeListFile } from '../../../src/batch/decode-list.js';
import { isConnectorError } from '../../../src/index.js';

const windows1252 = (text: string): Buffer =>
  Buffer.from(
    [...text].map((char) => (char === 'ü' ? 0xfc : char === '€' ? 0x80 : char.charCodeAt(0))),
  );

function refusal(bytes: Uint8Array): {
  message: string;
  position?: { line: number; column: number };
} {
  try {
    decodeListFile(bytes, '/mailboxes/csv');
  } catch (error) {
    if (isConnectorError(error) && error.code === 'CONFIG_INVALID')
      return (error.details as { issues: never[] }).issues[0]!;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('decodeListFile', () => {
  it('reads UTF-8, with or without a BOM', () => {
    expect(decodeListFile(Buffer.from('a@x.org;Müller-€\n'), 'f')).toBe('a@x.org;Müller-€\n');
    expect(decodeListFile(Buffer.from('\uFEFFa@x.org;p\n'), 'f')).toBe('a@x.org;p\n');
  });

  it('refuses a Windows-1252 file naming the line and column of the first byte not UTF-8', () => {
    const issue = refusal(windows1252('a@x.org;secret\nm@x.org;Müller-1\n'));
    expect(issue.position).toEqual({ line: 2, column: 10 });
    expect(issue.message).toMatch(/line 2, column 10: byte 0xFC is not UTF-8/);
    expect(issue.message).toMatch(/windows-1252/);
    // The rest of the password is not repeated.
    expect(issue.message).not.toMatch(/ller-1/);
  });

  it('counts columns in characters when the line has UTF-8 before the bad byte', () => {
    const bytes = Buffer.concat([Buffer.from('ü;'), Buffer.from([0xe4]), Buffer.from('\n')]);
    expect(refusal(bytes).position).toEqual({ line: 1, column: 3 });
  });

  it('reads the file in the encoding the profile names', () => {
    expect(decodeListFile(windows1252('m@x.org;Müller-€\n'), 'f', 'windows-1252')).toBe(
      'm@x.org;Müller-€\n',
    );
  });
});

describe("a batch's CSV file", () => {
  it('in Windows-1252: refused before any connection, or read when the profile says so', async () => {
    const { mailboxesOf } = await import('../../../src/batch/mailbox-list.js');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tempDir } = await import('../../helpers/temp-dir.js');
    const csv = join(tempDir(), 'mailboxes.csv');
    writeFileSync(csv, windows1252('IMAP-Benutzername;IMAP-Passwort\nmüller@x.org;geheim-€\n'));
    const profile = (encoding?: string) =>
      ({
        mailboxes: { csv, ...(encoding ? { encoding } : {}) },
        destination: { archive: 'mail.archive' },
      }) as never;
    await expect(mailboxesOf(profile(), {})).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/line 2, column 2: byte 0xFC is not UTF-8/),
    });
    const [entry] = await mailboxesOf(profile('windows-1252'), {});
    expect(entry).toMatchObject({ sourceUser: 'müller@x.org', sourcePassword: 'geheim-€' });
  });
});
