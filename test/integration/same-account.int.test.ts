/**
 * An import whose destination is its own source account: a folder copied into itself found
 * every message as its own copy, so a post-read delete removed the only one (and the run said
 * OK); a folder the import writes and also reads was copied into itself again on every run.
 * Such an import is refused before anything is emptied, copied or deleted; one that moves mail
 * between folders of one account, reading none it writes, still runs.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../src/index.js';
import { message } from '../helpers/corpus.js';
import { addDovecotUsers, startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { configFor, dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

type User = { name: string; password: string };

/** The user as the import's destination, with the job's state file. */
const intoItself = (user: User, overrides: Record<string, unknown> = {}) => ({
  connection: makeConfig(user, { isTarget: true, ...overrides }),
  state: join(tempDir('same-account-'), 'state.db'),
});

describe('an import into its own source account', () => {
  it('with a post-read delete into the same folders: refused, and the mailbox keeps its mail', async () => {
    const user = freshUser('sa1');
    await seedMailbox(dovecot(), user, {
      INBOX: [{ source: message('Only copy') }],
      Sent: [{ source: message('Sent once') }],
    });
    const before = await snapshot(user);
    // The same server under another name and over another port (IMAPS) is the same account.
    const destination = intoItself(user, {
      server: 'localhost',
      port: dovecot().imapsPort,
      security: 'tls',
      caFile: dovecot().caFile,
    });
    for (const spec of [
      { destination, postReadAction: { type: 'delete' as const } },
      { destination, replace: true },
    ])
      await expect(runImport(makeConfig(user), spec)).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        field: '/destination',
        message: expect.stringContaining('"INBOX" would be copied into itself'),
      });
    expect(await snapshot(user)).toEqual(before);
  });

  it('a master user opening the mailbox (by authzid, or as "user*master") is that account too', async () => {
    const user = freshUser('sa-master');
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('Only copy') }] });
    const before = await snapshot(user);
    const master = dovecot().master;
    for (const login of [
      { username: `${user.name}*${master.name}`, password: master.password },
      {
        username: master.name,
        password: master.password,
        authMethod: 'masterUser',
        authorizationIdentity: user.name,
      },
    ])
      await expect(
        runImport(makeConfig(user), {
          destination: intoItself(user, login),
          postReadAction: { type: 'delete' },
        }),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: '/destination' });
    expect(await snapshot(user)).toEqual(before);
  });

  it('under a prefix: the first run copies, a run that would read what it wrote is refused, and one that excludes it goes on', async () => {
    const user = freshUser('sa2');
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('Backed up') }] });
    const destination = intoItself(user);
    const spec = { destination, folderPrefix: 'Backup' };
    const first = await runImport(makeConfig(user), spec);
    expect(first.totals).toMatchObject({ copied: 1 });
    await expect(runImport(makeConfig(user), spec)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('"Backup/INBOX" is read by this import and written by it'),
    });
    const excluded = await runImport(makeConfig(user, { foldersExclude: ['Backup*'] }), spec);
    expect(excluded.totals).toMatchObject({ copied: 0 });
    expect(Object.keys(await snapshot(user)).sort()).toEqual(['Backup/INBOX', 'INBOX']);
  });

  it('moving mail between folders of one account, reading none it writes, still runs', async () => {
    const user = freshUser('sa3');
    await seedMailbox(dovecot(), user, {
      INBOX: [{ source: message('Filed away') }],
      Archive: [],
    });
    const result = await runImport(makeConfig(user), {
      destination: intoItself(user),
      query: 'FOLDER INBOX ALL',
      folderMapping: { INBOX: 'Archive' },
      postReadAction: { type: 'delete' },
    });
    expect(result.totals).toMatchObject({ copied: 1, sourceDeleted: 1 });
    const now = await snapshot(user);
    expect(now.INBOX ?? []).toEqual([]);
    expect(now.Archive!.map((m) => m.messageId)).toEqual(['<Filed-away@example.com>']);
  });

  it('with a post-read move into the folder it copies to: refused (every message would be there twice)', async () => {
    const user = freshUser('sa5');
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('Once') }], Archive: [] });
    const before = await snapshot(user);
    await expect(
      runImport(makeConfig(user), {
        destination: intoItself(user),
        query: 'FOLDER INBOX ALL',
        folderMapping: { INBOX: 'Archive' },
        postReadAction: { type: 'move', folder: 'Archive' },
      }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      field: '/postReadAction',
      message: expect.stringContaining('would be there twice'),
    });
    expect(await snapshot(user)).toEqual(before);
  });

  it('POP3 reads INBOX: into INBOX of the same account refused, into another folder runs', async () => {
    const user = freshUser('sa4');
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('Popped') }] });
    const pop3 = makeConfig(user, { port: dovecot().pop3Port });
    await expect(
      runImport(pop3, {
        destination: intoItself(user),
        pop3: {},
        postReadAction: { type: 'delete' },
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: '/destination' });
    expect((await snapshot(user)).INBOX).toHaveLength(1);
    const elsewhere = await runImport(pop3, {
      destination: intoItself(user),
      pop3: { folder: 'From POP3' },
    });
    expect(elsewhere.totals).toMatchObject({ copied: 1 });
  });

  describe('beside another server on the same address', () => {
    let other: DovecotServer;
    beforeAll(async () => {
      other = await startDovecot();
    });
    afterAll(async () => {
      await other?.stop();
    });

    it('the same user name on a second server (another port, another INBOX) is another account: the move runs', async () => {
      const user = freshUser('sa6');
      addDovecotUsers(other, [user]);
      await seedMailbox(dovecot(), user, { INBOX: [{ source: message('Side by side') }] });
      const result = await runImport(makeConfig(user), {
        destination: {
          connection: configFor(other, user, { isTarget: true }),
          state: join(tempDir('same-account-'), 'state.db'),
        },
        postReadAction: { type: 'delete' },
      });
      expect(result.totals).toMatchObject({ copied: 1, sourceDeleted: 1 });
      expect((await snapshot(user, other)).INBOX!.map((m) => m.messageId)).toEqual([
        '<Side-by-side@example.com>',
      ]);
    });
  });
});
