/**
 * Imports keep flags in sync (issue 29, item 3): a rerun carries the flag changes made at the
 * source since the last run (read, unread, flagged, keywords) to messages it copied before,
 * into another account and into the archive, and on a server without CONDSTORE as with it.
 * Flags the user set at the destination meanwhile stay; a message deleted at the destination
 * is counted, not recreated; `syncFlags: false` leaves the destination alone. Opted in,
 * `mirrorDeletions` removes the copies of messages gone from the source (expunged or moved),
 * nothing else; the archive keeps them by default.
 */
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Archive, runImport } from '../../src/index.js';
import {
  addDovecotUsers,
  CAPABILITIES_WITHOUT_CONDSTORE,
  startDovecot,
  type DovecotServer,
} from '../helpers/dovecot.js';
import { withImapClient } from '../helpers/imap-client.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openDatabase } from '../../src/sinks/sqlite-driver.js';

type Server = { host: string; imapPort: number };
type User = { name: string; password: string };

const mail = (id: string) =>
  `From: a@example.com\r\nTo: b@example.com\r\nSubject: ${id}\r\nMessage-ID: <${id}@flags.test>\r\n\r\n${id}\r\n`;

/** Subject -> sorted flags (without \Recent) of every message in INBOX. */
async function flagsBySubject(server: Server, user: User): Promise<Record<string, string[]>> {
  return withImapClient(user, server, async (client) => {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const result: Record<string, string[]> = {};
    for (const m of await client.fetchAll('1:*', { envelope: true, flags: true }))
      result[m.envelope!.subject!] = [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort();
    return result;
  });
}

function archiveFlags(path: string): Record<string, string[]> {
  const archive = Archive.open(path, { create: false, readonly: true });
  try {
    const result: Record<string, string[]> = {};
    for (const m of archive.messages({})) {
      const subject = /Subject: (\S+)/.exec(m.raw.toString())![1]!;
      result[subject] = [...m.flags].filter((f) => f !== '\\Recent').sort();
    }
    return result;
  } finally {
    archive.close();
  }
}

/** What another client does at the source between runs: read, unread, flag, tag, new mail. */
async function changeSource(client: ImapFlow): Promise<void> {
  await client.mailboxOpen('INBOX');
  const uidOf = async (subject: string) =>
    (await client.search({ subject }, { uid: true })) as number[];
  await client.messageFlagsAdd(await uidOf('m1'), ['\\Flagged'], { uid: true });
  await client.messageFlagsRemove(await uidOf('m2'), ['\\Seen'], { uid: true });
  await client.messageFlagsAdd(await uidOf('m3'), ['$Label1', '\\Seen'], { uid: true });
  await client.append('INBOX', mail('m5'), ['\\Seen']);
}

const SEEDED = [
  { source: mail('m1'), flags: ['\\Seen'] },
  { source: mail('m2'), flags: ['\\Seen', '\\Answered'] },
  { source: mail('m3'), flags: [] },
  { source: mail('m4'), flags: ['\\Seen'] },
];

/** The HIGHESTMODSEQ marks the state keeps (CONDSTORE: the next run asks only what changed since). */
function flagMarks(state: string): unknown[] {
  const db = openDatabase(state, { readonly: true, busyTimeoutMs: 5000 });
  try {
    return db.prepare("SELECT folder, modseq FROM import_flag_mark WHERE folder = 'INBOX'").all();
  } finally {
    db.close();
  }
}

/**
 * Into another account: first run, changes at both ends, rerun, rerun with nothing new, a
 * change to a message deleted at the destination. `condstore`: the source keeps MODSEQs.
 */
async function intoAnotherAccount(
  server: Server,
  source: User,
  target: User,
  condstore: boolean,
): Promise<void> {
  await seedMailbox(server, source, { INBOX: SEEDED });
  const state = join(tempDir('flag-sync-'), 'state.db');
  const at = { server: server.host, port: server.imapPort };
  const destination = {
    connection: makeConfig(target, { ...at, isTarget: true, isSource: false }),
    state,
  };
  const sourceConfig = makeConfig(source, at);
  const first = await runImport(sourceConfig, { destination });
  expect(first.totals).toMatchObject({ copied: 4 });
  expect(await flagsBySubject(server, target)).toEqual(await flagsBySubject(server, source));
  expect(flagMarks(state)).toEqual(
    condstore ? [{ folder: 'INBOX', modseq: expect.stringMatching(/^\d+$/) }] : [],
  );

  await withImapClient(source, server, changeSource);
  // The user at the destination answers m4 meanwhile: that stays.
  await withImapClient(target, server, async (client) => {
    await client.mailboxOpen('INBOX');
    await client.messageFlagsAdd({ subject: 'm4' }, ['\\Answered']);
  });
  const second = await runImport(sourceConfig, { destination });
  expect(second.totals).toMatchObject({ copied: 1, flagsUpdated: 3 });
  expect(second.totals.flagsUnmatched).toBeUndefined();
  expect(await flagsBySubject(server, target)).toEqual({
    m1: ['\\Flagged', '\\Seen'],
    m2: ['\\Answered'],
    m3: ['$Label1', '\\Seen'],
    m4: ['\\Answered', '\\Seen'],
    m5: ['\\Seen'],
  });

  const third = await runImport(sourceConfig, { destination });
  expect(third.totals).toMatchObject({ copied: 0 });
  expect(third.totals.flagsUpdated).toBeUndefined();

  // A message gone from the destination is counted, not copied again.
  await withImapClient(target, server, async (client) => {
    await client.mailboxOpen('INBOX');
    await client.messageDelete({ subject: 'm1' });
  });
  await withImapClient(source, server, async (client) => {
    await client.mailboxOpen('INBOX');
    await client.messageFlagsRemove({ subject: 'm1' }, ['\\Flagged']);
  });
  const fourth = await runImport(sourceConfig, { destination });
  expect(fourth.totals).toMatchObject({ copied: 0, flagsUnmatched: 1 });
  expect(Object.keys(await flagsBySubject(server, target)).sort()).toEqual([
    'm2',
    'm3',
    'm4',
    'm5',
  ]);
}

describe('imports keep flags in sync', () => {
  it(
    'into another account: the changes at the source, and only those, reach copied messages',
    () => intoAnotherAccount(dovecot(), freshUser('fs'), freshUser('ft'), true),
    60_000,
  );

  it('into the archive: flags and rows follow the source', async () => {
    const source = freshUser('fa');
    await seedMailbox(dovecot(), source, { INBOX: SEEDED });
    const archive = join(tempDir('flag-sync-archive-'), 'archive.db');
    const config = makeConfig(source);
    await runImport(config, { destination: { archive } });
    await withImapClient(source, dovecot(), changeSource);
    const second = await runImport(config, { destination: { archive } });
    expect(second.totals).toMatchObject({ copied: 1, flagsUpdated: 3 });
    expect(archiveFlags(archive)).toEqual(await flagsBySubject(dovecot(), source));
    // The row the console and exports show says the same.
    const opened = Archive.open(archive, { create: false, readonly: true });
    try {
      const rows = Object.fromEntries(
        [...opened.rows()].map((r) => [r.row.subject as string, r.row.flags]),
      );
      expect(rows).toEqual(await flagsBySubject(dovecot(), source));
    } finally {
      opened.close();
    }
  }, 60_000);

  it('with syncFlags false, leaves copied messages as they were', async () => {
    const source = freshUser('fn');
    const target = freshUser('fo');
    await seedMailbox(dovecot(), source, { INBOX: SEEDED });
    const destination = {
      connection: makeConfig(target, { isTarget: true, isSource: false }),
      state: join(tempDir('flag-sync-off-'), 'state.db'),
    };
    await runImport(makeConfig(source), { destination, syncFlags: false });
    const before = await flagsBySubject(dovecot(), target);
    await withImapClient(source, dovecot(), changeSource);
    const second = await runImport(makeConfig(source), { destination, syncFlags: false });
    expect(second.totals.flagsUpdated).toBeUndefined();
    expect(await flagsBySubject(dovecot(), target)).toEqual({ ...before, m5: ['\\Seen'] });
  }, 60_000);
});

// Dovecot announcing no CONDSTORE (as Courier IMAP): every copied message's flags are compared.
describe('imports keep flags in sync on a server without CONDSTORE', () => {
  let bare: DovecotServer;
  beforeAll(async () => {
    bare = await startDovecot({ capabilities: CAPABILITIES_WITHOUT_CONDSTORE });
  });
  afterAll(async () => {
    await bare?.stop();
  });

  it('into another account: the same result', async () => {
    const source = { name: `fbs${process.pid}`, password: 'bare-pw-s' };
    const target = { name: `fbt${process.pid}`, password: 'bare-pw-t' };
    addDovecotUsers(bare, [source, target]);
    await intoAnotherAccount(bare, source, target, false);
  }, 60_000);
});

/** Subjects per folder of a mailbox, sorted. */
async function subjectsByFolder(user: User, folders: string[]): Promise<Record<string, string[]>> {
  return withImapClient(user, dovecot(), async (client) => {
    const result: Record<string, string[]> = {};
    for (const folder of folders) {
      await client.mailboxOpen(folder, { readOnly: true });
      const messages = await client.fetchAll('1:*', { envelope: true });
      result[folder] = messages.map((m) => m.envelope!.subject!).sort();
    }
    return result;
  });
}

/** At the source: m1 expunged, m2 moved to Other. */
async function deleteAndMove(client: ImapFlow): Promise<void> {
  await client.mailboxOpen('INBOX');
  await client.messageDelete({ subject: 'm1' });
  await client.messageMove({ subject: 'm2' }, 'Other');
}

describe('imports mirror deletions when told to (mirrorDeletions)', () => {
  it('into another account: copies of messages gone from the source go, nothing else', async () => {
    const source = freshUser('ds');
    const target = freshUser('dt');
    await seedMailbox(dovecot(), source, { INBOX: SEEDED, Other: [] });
    const destination = {
      connection: makeConfig(target, { isTarget: true, isSource: false }),
      state: join(tempDir('mirror-'), 'state.db'),
    };
    const spec = { destination, query: 'FOLDER INBOX FOLDER Other ALL', mirrorDeletions: true };
    await runImport(makeConfig(source), spec);
    // The user's own mail at the destination: never a candidate.
    await seedMailbox(dovecot(), target, { INBOX: [{ source: mail('mine') }] });
    await withImapClient(source, dovecot(), deleteAndMove);

    // Without the option a rerun removes nothing.
    const plain = await runImport(makeConfig(source), { ...spec, mirrorDeletions: false });
    expect(plain.totals.deletionsMirrored).toBeUndefined();
    expect((await subjectsByFolder(target, ['INBOX'])).INBOX).toEqual([
      'm1',
      'm2',
      'm3',
      'm4',
      'mine',
    ]);

    const mirrored = await runImport(makeConfig(source), spec);
    expect(mirrored.totals).toMatchObject({ deletionsMirrored: 2 });
    expect(await subjectsByFolder(target, ['INBOX', 'Other'])).toEqual({
      INBOX: ['m3', 'm4', 'mine'],
      Other: ['m2'],
    });
    const again = await runImport(makeConfig(source), spec);
    expect(again.totals.deletionsMirrored).toBeUndefined();
  }, 60_000);

  it('into the archive: kept by default, removed when told to', async () => {
    const source = freshUser('da');
    await seedMailbox(dovecot(), source, { INBOX: SEEDED });
    const kept = join(tempDir('mirror-archive-'), 'kept.db');
    const mirrored = join(tempDir('mirror-archive-'), 'mirrored.db');
    await runImport(makeConfig(source), { destination: { archive: kept } });
    await runImport(makeConfig(source), {
      destination: { archive: mirrored },
      mirrorDeletions: true,
    });
    await withImapClient(source, dovecot(), async (client) => {
      await client.mailboxOpen('INBOX');
      await client.messageDelete({ subject: 'm1' });
    });
    await runImport(makeConfig(source), { destination: { archive: kept } });
    const run = await runImport(makeConfig(source), {
      destination: { archive: mirrored },
      mirrorDeletions: true,
    });
    expect(run.totals).toMatchObject({ deletionsMirrored: 1 });
    expect(Object.keys(archiveFlags(kept)).sort()).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(Object.keys(archiveFlags(mirrored)).sort()).toEqual(['m2', 'm3', 'm4']);
    const archive = Archive.open(mirrored, { create: false, readonly: true });
    try {
      expect(archive.verify()).toMatchObject({ messages: 3, damaged: [] });
      expect(archive.stats().messages).toBe(3);
    } finally {
      archive.close();
    }
  }, 60_000);

  it('is refused with a post-read action that moves or deletes, before any connection', async () => {
    const config = makeConfig(freshUser('dr'), { port: 1 });
    await expect(
      runImport(config, {
        destination: { archive: join(tempDir('mirror-refused-'), 'a.db') },
        mirrorDeletions: true,
        postReadAction: { type: 'delete' },
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: '/mirrorDeletions' });
  });
});

// The mark a post-read action sets at the source is the job's own, not a change the user made:
// carried over, the second run would mark every copy read (or tagged) at the destination.
describe("flag sync leaves the post-read action's own mark alone", () => {
  it.each([
    ['markSeen', { type: 'markSeen' as const }, '\\Seen'],
    ['addKeyword', { type: 'addKeyword' as const, keyword: '$Migrated' }, '$Migrated'],
  ])(
    '%s: copies keep their flags as copied; a change the user makes still comes over',
    async (_name, action, mark) => {
      const source = freshUser('pk');
      const target = freshUser('pt');
      await seedMailbox(dovecot(), source, { INBOX: SEEDED });
      const destination = {
        connection: makeConfig(target, { isTarget: true, isSource: false }),
        state: join(tempDir('flag-sync-action-'), 'state.db'),
      };
      const spec = { destination, postReadAction: action };
      await runImport(makeConfig(source), spec);
      const copied = await flagsBySubject(dovecot(), target);
      expect(copied).toEqual({
        m1: ['\\Seen'],
        m2: ['\\Answered', '\\Seen'],
        m3: [],
        m4: ['\\Seen'],
      });
      // The action marked every message at the source.
      expect(
        Object.values(await flagsBySubject(dovecot(), source)).every((f) => f.includes(mark)),
      ).toBe(true);

      const second = await runImport(makeConfig(source), spec);
      expect(second.totals.flagsUpdated).toBeUndefined();
      expect(await flagsBySubject(dovecot(), target)).toEqual(copied);

      // The user flags m3 at the source: that change comes over, the mark still does not.
      await withImapClient(source, dovecot(), async (client) => {
        await client.mailboxOpen('INBOX');
        await client.messageFlagsAdd({ subject: 'm3' }, ['\\Flagged']);
      });
      const third = await runImport(makeConfig(source), spec);
      expect(third.totals).toMatchObject({ flagsUpdated: 1 });
      expect(await flagsBySubject(dovecot(), target)).toEqual({ ...copied, m3: ['\\Flagged'] });
    },
    60_000,
  );
});
