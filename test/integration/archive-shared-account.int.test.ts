/**
 * Two mailboxes archived into one archive account (a named archive user: MailStore's user name,
 * `destination.account`) whose folders have the same UIDVALIDITY, as Dovecot gives mailboxes
 * made in the same second. The archive keys a message by account, folder, UIDVALIDITY and UID:
 * the second mailbox's messages fell on the first one's keys and were dropped while counted as
 * copied (2 of 2 in the first test, each run exiting well). Each source now has its own keys,
 * and its reruns, flag changes and mirrored deletions find its own messages, not the other's.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Archive, runImport } from '../../src/index.js';
import { message } from '../helpers/corpus.js';
import { withImapClient } from '../helpers/imap-client.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

type User = { name: string; password: string };

async function inboxValidity(user: User): Promise<string> {
  return withImapClient(user, dovecot(), async (client) => {
    const status = await client.status('INBOX', { uidValidity: true });
    if (!status) throw new Error('no STATUS for INBOX');
    return String(status.uidValidity);
  });
}

/**
 * Two accounts seeded with `subjects` each, whose INBOXes have the same UIDVALIDITY: made in
 * the same second (tried again at a second's start when a pair straddled one).
 */
async function pairWithOneValidity(prefix: string, subjects: string[]): Promise<[User, User]> {
  for (let attempt = 0; attempt < 5; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    const pair: [User, User] = [freshUser(`${prefix}a`), freshUser(`${prefix}b`)];
    await Promise.all(
      pair.map((user, i) =>
        seedMailbox(dovecot(), user, {
          INBOX: subjects.map((subject) => ({ source: message(`${'ab'[i]} ${subject}`) })),
        }),
      ),
    );
    const [first, second] = await Promise.all(pair.map(inboxValidity));
    if (first === second) return pair;
  }
  throw new Error('no two accounts with one UIDVALIDITY in 5 tries');
}

/** Subject -> flags of what the archive account holds. */
function archived(path: string, account: string): Record<string, string[]> {
  const archive = Archive.open(path, { create: false, readonly: true });
  try {
    const held: Record<string, string[]> = {};
    for (const m of archive.messages({ account }))
      held[/^Subject: (.*)$/m.exec(m.raw.toString())![1]!.trim()] = [...m.flags].sort();
    return held;
  } finally {
    archive.close();
  }
}

describe('two mailboxes archived into one archive account', () => {
  it('whose INBOXes share a UIDVALIDITY: each keeps every message, its flag changes and its deletions', async () => {
    const [first, second] = await pairWithOneValidity('sv', ['one', 'two']);
    const path = join(tempDir('shared-account-'), 'mail.archive');
    const into = (user: User, extra: Record<string, unknown> = {}) =>
      runImport(makeConfig(user), { destination: { archive: path, account: 'shared' }, ...extra });
    expect((await into(first)).totals.copied).toBe(2);
    expect((await into(second)).totals.copied).toBe(2);
    expect(Object.keys(archived(path, 'shared')).sort()).toEqual([
      'a one',
      'a two',
      'b one',
      'b two',
    ]);
    // Again: each source finds its own copies; nothing is copied twice.
    expect((await into(first)).totals).toMatchObject({ copied: 0 });
    expect((await into(second)).totals).toMatchObject({ copied: 0 });
    // The second source flags its first message (the UID of "a one" too) and expunges its
    // second: only its own copies change.
    await withImapClient(second, dovecot(), async (client) => {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
      await client.messageDelete('2', { uid: true });
    });
    const synced = await into(second, { mirrorDeletions: true });
    expect(synced.totals).toMatchObject({ flagsUpdated: 1, deletionsMirrored: 1 });
    const held = archived(path, 'shared');
    expect(Object.keys(held).sort()).toEqual(['a one', 'a two', 'b one']);
    expect(held['b one']).toContain('\\Flagged');
    expect(held['a one']).not.toContain('\\Flagged');
  });

  it("a message both hold (one Message-ID): the second one's deletion mirrored leaves the first one's copy", async () => {
    const shared = () => ({ source: message('both', { id: '<both@shared.test>' }) });
    const first = freshUser('sma');
    const second = freshUser('smb');
    await seedMailbox(dovecot(), first, { INBOX: [shared(), { source: message('a only') }] });
    await seedMailbox(dovecot(), second, { INBOX: [shared(), { source: message('b only') }] });
    const path = join(tempDir('shared-message-'), 'mail.archive');
    const into = (user: User, extra: Record<string, unknown> = {}) =>
      runImport(makeConfig(user), { destination: { archive: path, account: 'both' }, ...extra });
    await into(first);
    expect((await into(second)).totals).toMatchObject({ copied: 1, duplicates: 1 });
    await withImapClient(second, dovecot(), async (client) => {
      await client.mailboxOpen('INBOX');
      await client.messageDelete('1', { uid: true });
    });
    await into(second, { mirrorDeletions: true });
    // The first mailbox still holds it, and its job counts it as copied: the copy stays.
    expect(Object.keys(archived(path, 'both')).sort()).toEqual(['a only', 'b only', 'both']);
  });
});
