/**
 * POP3 as an import source (issue 27) against Dovecot's own POP3 server (dovecot-pop3d) on
 * the private test instance: the same mailboxes as its IMAP side, so a test seeds by IMAP and
 * reads by POP3. POP3S and STLS, USER/PASS and SASL PLAIN (a master user), UIDL for
 * only-new-messages, the deletion rules, a message over the size limit, and a cut mid-RETR.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { Archive, checkBatch, runBatch, runImport } from '../../src/index.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { archiveHashes, writeProfile } from '../helpers/batch-fixtures.js';
import { message } from '../helpers/corpus.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const daysAgo = (days: number): Date => new Date(Date.now() - days * 86_400_000);

/** A POP3 source connection to the private Dovecot (plain port unless overridden). */
function pop3Source(
  user: { name: string; password: string },
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return makeConfig(user, { port: dovecot().pop3Port, ...overrides });
}

function archived(path: string): { account: string; folder: string; sha256: string }[] {
  const archive = Archive.open(path, { create: false, readonly: true });
  try {
    return [...archive.messages()]
      .map((m) => ({ account: m.account, folder: m.folder, sha256: sha(m.raw) }))
      .sort((a, b) => a.sha256.localeCompare(b.sha256));
  } finally {
    archive.close();
  }
}

async function inboxHashes(user: { name: string; password: string }): Promise<string[]> {
  return ((await snapshot(user)).INBOX ?? []).map((m) => m.sha256).sort();
}

/** A message with a dot-stuffed line, CRLF line ends, and a line that is only ".." */
function dotted(subject: string): Buffer {
  return Buffer.from(
    `From: a@example.com\r\nTo: b@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@pop3.test>\r\nDate: Fri, 19 Jan 2024 10:00:00 +0000\r\n\r\n.leading dot\r\n..\r\n.\r\nend\r\n`,
  );
}

describe('import from a POP3 source', () => {
  it('archives every message exactly over POP3S, then only new ones (UIDL) on the next run', async () => {
    const user = freshUser('p3');
    await seedMailbox(dovecot(), user, {
      INBOX: [
        { source: message('Pop one') },
        { source: dotted('Dots') },
        { source: message('Pop two') },
      ],
    });
    const path = join(tempDir(), 'pop.archive');
    const config = pop3Source(user, {
      security: 'tls',
      port: dovecot().pop3sPort,
      caFile: dovecot().caFile,
    });
    const first = await runImport(config, { destination: { archive: path }, pop3: {} });
    expect(first.totals).toMatchObject({ seen: 3, copied: 3, failed: 0 });
    const stored = archived(path);
    expect(stored.map((m) => m.sha256)).toEqual(await inboxHashes(user));
    expect(
      stored.every((m) => m.account === `${user.name}@127.0.0.1` && m.folder === 'INBOX'),
    ).toBe(true);
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('Pop three') }] });
    const second = await runImport(config, { destination: { archive: path }, pop3: {} });
    expect(second.totals).toMatchObject({ seen: 1, copied: 1 });
    expect(archived(path).map((m) => m.sha256)).toEqual(await inboxHashes(user));
    const archive = Archive.open(path, { create: false, readonly: true });
    try {
      const rows = [...archive.rows()].map((r) => r.row as { subject: string; uid: number });
      expect(rows.map((r) => r.subject).sort()).toEqual([
        'Dots',
        'Pop one',
        'Pop three',
        'Pop two',
      ]);
      expect(rows.map((r) => r.uid).sort()).toEqual([1, 2, 3, 4]);
    } finally {
      archive.close();
    }
  });

  it('copies into another IMAP account with STLS, into the folder the spec names', async () => {
    const user = freshUser('p4');
    const target = freshUser('p4t');
    await seedMailbox(dovecot(), user, {
      INBOX: [{ source: message('To a folder 1') }, { source: message('To a folder 2') }],
    });
    const result = await runImport(
      pop3Source(user, { security: 'starttls', caFile: dovecot().caFile }),
      {
        destination: {
          connection: makeConfig(target, { isTarget: true, isSource: false }),
          state: join(tempDir(), 'pop.db'),
        },
        pop3: { folder: 'From POP3' },
      },
    );
    expect(result.totals).toMatchObject({ copied: 2 });
    const copied = await snapshot(target);
    expect(copied['From POP3']!.map((m) => m.sha256).sort()).toEqual(await inboxHashes(user));
  });

  it('replace empties nothing for a job that downloaded and deleted before: that mail is only at the destination', async () => {
    const user = freshUser('p4r');
    const target = freshUser('p4s');
    await seedMailbox(dovecot(), user, {
      INBOX: [{ source: message('Fetched one') }, { source: message('Fetched two') }],
    });
    const config = pop3Source(user, { security: 'starttls', caFile: dovecot().caFile });
    const destination = {
      connection: makeConfig(target, { isTarget: true, isSource: false }),
      state: join(tempDir(), 'pop-replace.db'),
    };
    const first = await runImport(config, {
      destination,
      pop3: {},
      postReadAction: { type: 'delete' },
    });
    expect(first.totals).toMatchObject({ copied: 2, sourceDeleted: 2 });
    const fetched = (await snapshot(target)).INBOX;
    expect(fetched).toHaveLength(2);
    const second = await runImport(config, { destination, pop3: {}, replace: true });
    expect(second.replaceSkipped).toMatch(/ran before/);
    expect(second.totals.destinationRemoved).toBeUndefined();
    expect((await snapshot(target)).INBOX).toEqual(fetched);
  });

  it('logs in as a master user with SASL PLAIN (authorization identity)', async () => {
    const user = freshUser('p5');
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('Master pop') }] });
    const path = join(tempDir(), 'master.archive');
    const result = await runImport(
      makeConfig(dovecot().master, {
        port: dovecot().pop3Port,
        authMethod: 'masterUser',
        authorizationIdentity: user.name,
      }),
      { destination: { archive: path }, pop3: {} },
    );
    expect(result.totals).toMatchObject({ copied: 1 });
    expect(archived(path)[0]!.account).toBe(`${user.name}@127.0.0.1`);
  });

  it('refuses a wrong password, a query and a flag action before copying anything', async () => {
    const user = freshUser('p6');
    await expect(
      runImport(pop3Source({ name: user.name, password: 'wrong' }), {
        destination: { archive: join(tempDir(), 'x.archive') },
        pop3: {},
      }),
    ).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await expect(
      runImport(pop3Source(user), {
        destination: { archive: join(tempDir(), 'y.archive') },
        pop3: {},
        query: 'UNSEEN',
        postReadAction: { type: 'markSeen' },
      }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      issues: [{ field: '/query' }, { field: '/postReadAction' }],
    });
  });

  it('deletes what it copied, by age when told, never a message that failed; counted once the server removed them', async () => {
    const user = freshUser('p7');
    await seedMailbox(dovecot(), user, {
      INBOX: [
        { source: message('Old', { date: new Date(daysAgo(200)).toUTCString() }) },
        { source: message('Young', { date: new Date(daysAgo(3)).toUTCString() }) },
        {
          source: message('Old and large', {
            body: 'x'.repeat(30_000),
            date: new Date(daysAgo(300)).toUTCString(),
          }),
        },
      ],
    });
    const path = join(tempDir(), 'age.archive');
    const config = pop3Source(user, { maxMessageSize: 10_000 });
    const spec = {
      destination: { archive: path },
      pop3: {},
      postReadAction: { type: 'delete' as const, olderThanDays: 30 },
    };
    const first = await runImport(config, spec);
    expect(first.totals).toMatchObject({ copied: 2, failed: 1, sourceDeleted: 1 });
    expect((await snapshot(user)).INBOX).toHaveLength(2);
    const all = await runImport(config, { ...spec, postReadAction: { type: 'delete' as const } });
    expect(all.totals).toMatchObject({ copied: 0, sourceDeleted: 1 });
    // The large one failed (over maxMessageSize): still at the source, listed as failed.
    expect((await snapshot(user)).INBOX).toHaveLength(1);
    expect(all.folders[0]!.failures.map((f) => f.code)).toEqual(['MESSAGE_TOO_LARGE']);
  });

  it('goes on after the connection is cut mid-RETR, and a rerun copies nothing twice', async () => {
    const user = freshUser('p8');
    const big = Array.from({ length: 6 }, (_, i) => ({
      source: message(`Cut ${i}`, { body: `${i}`.repeat(40_000) }),
    }));
    await seedMailbox(dovecot(), user, { INBOX: big });
    const proxy = await startFaultProxy(dovecot().pop3Port);
    try {
      // The first three connections are cut after 60 KB from the server: in the middle of a RETR.
      proxy.set({ kind: 'cut', afterServerBytes: 60_000, connections: 3 });
      const path = join(tempDir(), 'cut.archive');
      const config = pop3Source(user, {
        port: proxy.port,
        reconnectDelay: 50,
        reconnectAttempts: 5,
      });
      const result = await runImport(config, { destination: { archive: path }, pop3: {} });
      expect(proxy.faults()).toBe(3);
      // A RETR cut midway is not counted seen (nor as progress for the reconnects' count).
      expect(result.totals).toMatchObject({ seen: 6, copied: 6, failed: 0 });
      expect(archived(path).map((m) => m.sha256)).toEqual(await inboxHashes(user));
      const again = await runImport(config, { destination: { archive: path }, pop3: {} });
      expect(again.totals).toMatchObject({ seen: 0, copied: 0 });
      expect(archived(path)).toHaveLength(6);
    } finally {
      await proxy.close();
    }
  });

  it('a message whose RETR cuts the connection every time fails alone: the run ends by itself with the rest archived', async () => {
    const { user, proxy } = await poisonedPop3('p9', 1);
    try {
      const path = join(tempDir(), 'poison.archive');
      const config = pop3Source(user, { port: proxy.port, reconnectDelay: 20 });
      const first = await runImport(config, { destination: { archive: path }, pop3: {} });
      // Cut at each RETR of it until the reconnects (3) would be spent: listed instead.
      expect(proxy.faults()).toBe(3);
      expect(first.totals).toMatchObject({ seen: 3, copied: 2, failed: 1 });
      expect(first.folders[0]!.failures).toEqual([
        expect.objectContaining({ code: 'MESSAGE_UNAVAILABLE' }),
      ]);
      expect(archived(path)).toHaveLength(2);
      // Nothing new beside it: a message archived before is retrieved once more to show the
      // connection carries mail, so it is listed again after 3 cuts and the run ends by itself
      // (before, the run failed with CONNECTION_LOST until other mail came).
      const aloneBefore = proxy.faults();
      const alone = await runImport(config, { destination: { archive: path }, pop3: {} });
      expect(proxy.faults() - aloneBefore).toBe(3);
      expect(alone.totals).toMatchObject({ copied: 0, failed: 1 });
      expect(archived(path)).toHaveLength(2);
      // New mail after it: the next run reads that first (the listed one last, so a cut then
      // counts against it), archives it, and lists the other again after 3 cuts.
      await seedMailbox(dovecot(), user, { INBOX: [{ source: message('Later') }] });
      const faultsBefore = proxy.faults();
      const second = await runImport(config, { destination: { archive: path }, pop3: {} });
      expect(proxy.faults() - faultsBefore).toBe(3);
      expect(second.totals).toMatchObject({ copied: 1, failed: 1 });
      expect(archived(path)).toHaveLength(3);
      await archivesItOncePassed(proxy, config, path, user);
    } finally {
      await proxy.close();
    }
  });

  it('such a message first on the server is read after the rest, so they are archived and it is listed', async () => {
    const { user, proxy } = await poisonedPop3('pa', 0);
    try {
      const path = join(tempDir(), 'poison-first.archive');
      const config = pop3Source(user, { port: proxy.port, reconnectDelay: 20 });
      const first = await runImport(config, { destination: { archive: path }, pop3: {} });
      expect(first.totals).toMatchObject({ seen: 3, copied: 2, failed: 1 });
      expect(archived(path)).toHaveLength(2);
      await archivesItOncePassed(proxy, config, path, user);
    } finally {
      await proxy.close();
    }
  });

  it('runs from the command line: import --pop3 --pop3-folder', async () => {
    const user = freshUser('p9');
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('From the CLI') }] });
    const path = join(tempDir(), 'cli.archive');
    const io = captureIo({ IMAP_PASSWORD: user.password });
    const flags = ['--server', '127.0.0.1', '--port', String(dovecot().pop3Port)];
    const args = [...flags, '--security', 'none', '--username', user.name, '--archive', path];
    expect(await main(['import', ...args, '--pop3', '--pop3-folder', 'Pop', '--json'], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ totals: { copied: 1 } });
    expect(archived(path).map((m) => m.folder)).toEqual(['Pop']);
    const bad = captureIo({ IMAP_PASSWORD: user.password });
    expect(await main(['import', ...args, '--pop3-folder', 'Pop'], bad)).toBe(2);
    expect(bad.err()).toContain('--pop3-folder needs --pop3');
  });
});

/** Once the source gives the listed message, the next run archives it, and nothing twice. */
async function archivesItOncePassed(
  proxy: FaultProxy,
  config: ReturnType<typeof pop3Source>,
  path: string,
  user: { name: string; password: string },
): Promise<void> {
  proxy.set({ kind: 'pass' });
  const next = await runImport(config, { destination: { archive: path }, pop3: {} });
  expect(next.totals).toMatchObject({ copied: 1, failed: 0 });
  expect(archived(path).map((m) => m.sha256)).toEqual(await inboxHashes(user));
}

/**
 * A POP3 mailbox of three messages, the one at `at` carrying a signature, behind a proxy that
 * cuts each connection as the server sends it (as a filter resetting such connections would).
 */
async function poisonedPop3(
  prefix: string,
  at: number,
): Promise<{ user: { name: string; password: string }; proxy: FaultProxy }> {
  const user = freshUser(prefix);
  const signature = `SIGNATURE-${randomBytes(4).toString('hex')}`;
  await seedMailbox(dovecot(), user, {
    INBOX: [0, 1, 2].map((i) => ({
      source:
        i === at
          ? message('Poisoned', { body: `It carries ${signature}.\r\n` })
          : message(`Kept ${i}`),
    })),
  });
  const proxy = await startFaultProxy(dovecot().pop3Port);
  proxy.set({ kind: 'cutOn', pattern: signature });
  return { user, proxy };
}

describe('a batch from POP3 sources', () => {
  it('archives three POP3 mailboxes from a CSV, batch check counts them, and a rerun copies only new mail', async () => {
    const users = [freshUser('pb'), freshUser('pb'), freshUser('pb')];
    for (const [i, user] of users.entries())
      await seedMailbox(dovecot(), user, {
        INBOX: Array.from({ length: i + 1 }, (_, n) => ({ source: message(`Batch ${i}.${n}`) })),
      });
    const dir = tempDir();
    writeFileSync(join(dir, 'list.csv'), users.map((u) => `${u.name},${u.password}`).join('\n'));
    const profile = writeProfile(dir, {
      name: 'pop3-batch',
      source: { server: '127.0.0.1', port: dovecot().pop3Port, security: 'none', protocol: 'pop3' },
      destination: { archive: 'mail.archive' },
      mailboxes: { csv: 'list.csv' },
      copy: { pop3Folder: 'POP3' },
    });
    const checks = await checkBatch(profile);
    expect(checks.map((c) => c.folders)).toEqual([
      [{ path: 'POP3', messages: 1 }],
      [{ path: 'POP3', messages: 2 }],
      [{ path: 'POP3', messages: 3 }],
    ]);
    const report = await runBatch(profile);
    expect(report.totals).toMatchObject({ done: 3, copied: 6, failed: 0 });
    for (const user of users)
      expect(archiveHashes(join(dir, 'mail.archive'), `${user.name}@127.0.0.1`).POP3).toEqual(
        await inboxHashes(user),
      );
    await seedMailbox(dovecot(), users[0]!, { INBOX: [{ source: message('Batch new') }] });
    const again = await runBatch(profile);
    expect(again.totals).toMatchObject({ done: 3, copied: 1 });
  });

  it('refuses what a POP3 source cannot do, naming each field, before any connection', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'list.csv'), 'a@example.com,pw\n');
    const profile = writeProfile(dir, {
      name: 'pop3-bad',
      source: { server: '127.0.0.1', protocol: 'pop3' },
      destination: { imap: { server: '127.0.0.1', protocol: 'pop3' } },
      mailboxes: { csv: 'list.csv' },
      copy: { foldersExclude: ['Trash'], postReadAction: { type: 'move', folder: 'Done' } },
    });
    await expect(runBatch(profile)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      issues: [
        { field: '/destination/imap/protocol' },
        { field: '/copy/foldersExclude' },
        { field: '/copy/postReadAction' },
      ],
    });
  });
});
