/**
 * mirrorDeletions where one destination copy stands for more than one source message: a
 * message the source holds twice (one copy stored, the other found as its duplicate), or two
 * source folders mapped into one destination folder. Removing the copy when one of them goes
 * would leave the destination without a message the source still holds, and the job's state
 * (the other counted as done) would never copy it again.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Archive, runImport } from '../../src/index.js';
import { withImapClient } from '../helpers/imap-client.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

type User = { name: string; password: string };

const mail = (id: string) =>
  `From: a@example.com\r\nTo: b@example.com\r\nSubject: ${id}\r\nMessage-ID: <${id}@mirror.test>\r\n\r\n${id}\r\n`;

/** Subjects in a folder, sorted. */
async function subjects(user: User, folder: string): Promise<string[]> {
  return withImapClient(user, dovecot(), async (client) => {
    await client.mailboxOpen(folder, { readOnly: true });
    return (await client.fetchAll('1:*', { envelope: true }))
      .map((m) => m.envelope!.subject!)
      .sort();
  });
}

/** Expunges the first message of `folder` whose subject is `subject`. */
async function expungeFirst(user: User, folder: string, subject: string): Promise<void> {
  await withImapClient(user, dovecot(), async (client) => {
    await client.mailboxOpen(folder);
    const found = (await client.search({ subject }, { uid: true })) || [];
    expect(found.length).toBeGreaterThan(0);
    await client.messageDelete(String(found[0]), { uid: true });
  });
}

function archivedMessages(path: string): number {
  const archive = Archive.open(path, { create: false, readonly: true });
  try {
    return archive.stats().messages;
  } finally {
    archive.close();
  }
}

describe('mirrorDeletions keeps a copy another source message still stands for', () => {
  it('a message the source holds twice: one of the two expunged, the copy stays', async () => {
    const source = freshUser('ms2');
    const target = freshUser('mt2');
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: mail('twice') }, { source: mail('other') }, { source: mail('twice') }],
    });
    const spec = {
      destination: {
        connection: makeConfig(target, { isTarget: true, isSource: false }),
        state: join(tempDir('mirror-twice-'), 'state.db'),
      },
      mirrorDeletions: true,
    };
    const first = await runImport(makeConfig(source), spec);
    expect(first.totals).toMatchObject({ copied: 2, duplicates: 1 });
    await expungeFirst(source, 'INBOX', 'twice');
    expect(await subjects(source, 'INBOX')).toEqual(['other', 'twice']);

    await runImport(makeConfig(source), spec);
    expect(await subjects(target, 'INBOX')).toEqual(['other', 'twice']);
    // Gone at the source too: now the copy goes.
    await expungeFirst(source, 'INBOX', 'twice');
    const last = await runImport(makeConfig(source), spec);
    expect(last.totals).toMatchObject({ deletionsMirrored: 1 });
    expect(await subjects(target, 'INBOX')).toEqual(['other']);
  }, 60_000);

  it('two source folders mapped into one: the message expunged from one, the copy stays', async () => {
    const source = freshUser('ms3');
    const target = freshUser('mt3');
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: mail('shared') }, { source: mail('inbox-only') }],
      Old: [{ source: mail('shared') }],
    });
    const spec = {
      destination: {
        connection: makeConfig(target, { isTarget: true, isSource: false }),
        state: join(tempDir('mirror-merged-'), 'state.db'),
      },
      query: 'FOLDER INBOX FOLDER Old ALL',
      folderMapping: { Old: 'INBOX' },
      mirrorDeletions: true,
    };
    await runImport(makeConfig(source), spec);
    expect(await subjects(target, 'INBOX')).toEqual(['inbox-only', 'shared']);
    await expungeFirst(source, 'INBOX', 'shared');

    await runImport(makeConfig(source), spec);
    expect(await subjects(target, 'INBOX')).toEqual(['inbox-only', 'shared']);
    // Gone from the other folder too: now the copy goes.
    await expungeFirst(source, 'Old', 'shared');
    const last = await runImport(makeConfig(source), spec);
    expect(last.totals).toMatchObject({ deletionsMirrored: 1 });
    expect(await subjects(target, 'INBOX')).toEqual(['inbox-only']);
  }, 60_000);

  it('into the archive: a message the source holds twice, one expunged, still archived', async () => {
    const source = freshUser('ms4');
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: mail('twice') }, { source: mail('twice') }],
    });
    const path = join(tempDir('mirror-twice-archive-'), 'a.db');
    const spec = { destination: { archive: path }, mirrorDeletions: true };
    await runImport(makeConfig(source), spec);
    await expungeFirst(source, 'INBOX', 'twice');
    await runImport(makeConfig(source), spec);
    expect(archivedMessages(path)).toBe(1);
    // The other gone too: the message archived under the first one's UID goes with it.
    await expungeFirst(source, 'INBOX', 'twice');
    const last = await runImport(makeConfig(source), spec);
    expect(last.totals).toMatchObject({ deletionsMirrored: 1 });
    expect(archivedMessages(path)).toBe(0);
  }, 60_000);
});
