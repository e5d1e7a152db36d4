/**
 * A hosting panel's import into a chosen domain (issue 27, item 13): the destination mailbox is
 * the part before @ of the row's mailbox, or of the source user, at `destination.domain`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mailboxesOf } from '../../../src/batch/mailbox-list.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function entries(csv: string, destination: Record<string, unknown>) {
  const path = join(tempDir(), 'list.csv');
  writeFileSync(path, csv);
  return mailboxesOf({ mailboxes: { csv: path }, destination } as never, {});
}

describe('destination.domain', () => {
  it('puts each mailbox at the domain, by the local part of its own name or of the source user', async () => {
    const got = await entries('alice@old.example,Secret-Pass-1\nbob,Secret-Pass-2\n', {
      imap: { server: 'new.example' },
      domain: 'new.example',
    });
    expect(got.map((entry) => [entry.sourceUser, entry.destinationMailbox])).toEqual([
      ['alice@old.example', 'alice@new.example'],
      ['bob', 'bob@new.example'],
    ]);
    // The identity follows the destination, so a run's state is the new mailbox's.
    expect(new Set(got.map((entry) => entry.key)).size).toBe(2);
    expect(got[0]!.key).toContain('alice@new.example');
  });

  it("takes the local part of a row's own new mailbox", async () => {
    const [entry] = await entries(
      'old.example;carol;Secret-Pass-3;c.smith@elsewhere.example;N3w-Secret-2026\n',
      { imap: { server: 'new.example' }, domain: 'new.example' },
    );
    expect(entry!.destinationMailbox).toBe('c.smith@new.example');
  });

  it('leaves the mailboxes as they are without a domain, and for an archive', async () => {
    const [plain] = await entries('alice@old.example,pw-1\n', { imap: { server: 'x' } });
    expect(plain!.destinationMailbox).toBeUndefined();
    const [archived] = await entries('alice@old.example,pw-1\n', {
      archive: 'mail.archive',
      domain: 'new.example',
    });
    expect(archived!.destinationMailbox).toBeUndefined();
  });
});
