/**
 * Batches against the real Dovecot: many seeded accounts, each CSV layout, a master user with a
 * selection, preflight failures, the per-server connection cap counted in a loopback proxy,
 * reports and replay files without secrets.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { batchStatus, checkBatch, runBatch } from '../../src/index.js';
import {
  archiveHashes,
  archiveProfile,
  destinationAccount,
  dovecotSource,
  mailboxHashes,
  seededAccounts,
  writePanelCsv,
  writeProfile,
  type Account,
} from '../helpers/batch-fixtures.js';
import { addDovecotUsers, addOAuthToken } from '../helpers/dovecot.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { mswServer } from '../helpers/msw-server.js';
import { message } from '../helpers/corpus.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const HOST = '127.0.0.1';

async function expectArchived(archive: string, accounts: Account[]): Promise<void> {
  for (const account of accounts)
    expect(archiveHashes(archive, `${account.name}@${HOST}`), account.name).toEqual(
      await mailboxHashes(account),
    );
}

/** Every file the run left beside the state, as text. */
function outputs(dir: string, report: { runId: number; name: string }): string[] {
  const base = join(dir, `${report.name}-run${report.runId}`);
  return ['.report.json', '.report.txt'].map((ext) => readFileSync(base + ext, 'utf8'));
}

describe('runBatch from CSV', () => {
  it('archives 20 accounts from an email,password CSV, 4 at a time under a cap of 3 connections (counted in a proxy), each exactly, and copies nothing the second time', async () => {
    const accounts = await seededAccounts(20);
    const proxy = await startFaultProxy(dovecot().imapPort);
    try {
      const dir = tempDir();
      writeFileSync(
        join(dir, 'list.csv'),
        accounts.map((a) => `${a.name},${a.password}`).join('\n'),
      );
      const profile = writeProfile(dir, {
        name: 'archive-all',
        source: dovecotSource({ port: proxy.port }),
        destination: { archive: 'mail.archive' },
        mailboxes: { csv: 'list.csv' },
        throttle: { parallelMailboxes: 4, maxConnectionsPerServer: 3 },
      });
      const report = await runBatch(profile);
      expect(report.status).toBe('done');
      expect(report.totals).toMatchObject({
        mailboxes: 20,
        done: 20,
        failed: 0,
        failedMessages: 0,
      });
      expect(report.totals.copied).toBe(20 * 2 + 20 + (0 + 1 + 2) * 6 + 0 + 1);
      expect(report.peakConnections[`${HOST}:${proxy.port}`]).toBe(3);
      expect(proxy.peakConnections()).toBeLessThanOrEqual(3);
      expect(proxy.peakConnections()).toBeGreaterThanOrEqual(2);
      await expectArchived(join(dir, 'mail.archive'), accounts);
      const again = await runBatch(profile);
      expect(again.totals).toMatchObject({ done: 20, copied: 0 });
      expect(again.runId).toBe(report.runId + 1);
      const status = await batchStatus(profile);
      expect(status.runs.map((r) => r.status)).toEqual(['done', 'done']);
      expect(status.mailboxes.every((m) => m.status === 'done')).toBe(true);
      for (const text of outputs(dir, report))
        for (const account of accounts) expect(text).not.toContain(account.password);
    } finally {
      await proxy.close();
    }
  });

  it("moves mailboxes in a hosting panel's headerless layout (server;user;password;mailbox;password) to their new logins", async () => {
    const accounts = await seededAccounts(5, 'hp');
    const targets = accounts.map(() => destinationAccount());
    const dir = tempDir();
    writePanelCsv(
      dir,
      accounts.map((a, i) => [a, targets[i]!]),
      '\r\n',
    );
    const report = await runBatch(
      writeProfile(dir, {
        name: 'panel',
        source: dovecotSource(),
        destination: { imap: dovecotSource() },
        mailboxes: { csv: 'panel.csv' },
      }),
    );
    expect(report.totals).toMatchObject({ mailboxes: 5, done: 5, failed: 0 });
    for (const [i, account] of accounts.entries())
      expect(await mailboxHashes(targets[i]!)).toEqual(await mailboxHashes(account));
  });

  it("maps folders as import --map does, and an unmarked 'Sent Items' into the destination's \\Sent", async () => {
    const account = freshUser('fm');
    const sent = [message('fm sent 1'), message('fm sent 2')];
    const old = [message('fm archive 2023')];
    await seedMailbox(dovecot(), account, {
      INBOX: [{ source: message('fm inbox') }],
      'Sent Items': sent.map((source) => ({ source })),
      'Archive/2023': old.map((source) => ({ source })),
    });
    const target = destinationAccount();
    const dir = tempDir();
    writePanelCsv(dir, [[account, target]]);
    const report = await runBatch(
      writeProfile(dir, {
        name: 'mapped',
        source: dovecotSource(),
        destination: { imap: dovecotSource() },
        mailboxes: { csv: 'panel.csv' },
        copy: { sentFolder: 'Sent Items', folderMapping: { 'Archive/2023': 'Old/2023' } },
      }),
    );
    expect(report.totals).toMatchObject({ done: 1, failed: 0 });
    const source = await mailboxHashes(account);
    const copied = await mailboxHashes(target);
    expect(copied.Sent).toEqual(source['Sent Items']);
    expect(copied['Old/2023']).toEqual(source['Archive/2023']);
    expect(copied.INBOX).toEqual(source.INBOX);
    expect(copied['Sent Items']).toBeUndefined();
    expect(copied['Archive/2023']).toBeUndefined();
  });

  it('deletes source messages by age once copied (the deletion rule) and counts them in the report', async () => {
    const account = freshUser('da');
    const daysAgo = (days: number): Date => new Date(Date.now() - days * 86_400_000);
    await seedMailbox(dovecot(), account, {
      INBOX: [
        { source: message('da old 1'), internalDate: daysAgo(400) },
        { source: message('da old 2'), internalDate: daysAgo(90) },
        { source: message('da young'), internalDate: daysAgo(5) },
      ],
      Sent: [{ source: message('da sent old'), internalDate: daysAgo(70) }],
    });
    const before = await mailboxHashes(account);
    const dir = tempDir();
    writeFileSync(join(dir, 'list.csv'), `${account.name},${account.password}\n`);
    const report = await runBatch(
      writeProfile(dir, {
        name: 'aged',
        source: dovecotSource(),
        destination: { archive: 'mail.archive' },
        mailboxes: { csv: 'list.csv' },
        copy: { postReadAction: { type: 'delete', olderThanDays: 60 } },
      }),
    );
    expect(report.totals).toMatchObject({ done: 1, copied: 4, sourceDeleted: 3 });
    const folders = Object.fromEntries(
      report.mailboxes[0]!.folders.map((f) => [f.folder, f.sourceDeleted]),
    );
    expect(folders).toEqual({ INBOX: 2, Sent: 1 });
    expect(archiveHashes(join(dir, 'mail.archive'), `${account.name}@${HOST}`)).toEqual(before);
    const left = await mailboxHashes(account);
    expect(left.INBOX).toHaveLength(1);
    expect(left.Sent).toBeUndefined();
    const text = outputs(dir, report)[1]!;
    expect(text).toContain('Deleted at the source after copying: 3');
    expect(text).toContain('INBOX: 3 copied, 0 duplicates, 0 failed, 2 deleted at the source');
  });

  it('skips destination mailboxes that already hold mail with existing: skip, and goes on with its own on later runs', async () => {
    const accounts = await seededAccounts(2, 'sk');
    const targets = accounts.map(() => destinationAccount());
    await seedMailbox(dovecot(), targets[0]!, { INBOX: [{ source: message('Already here') }] });
    const dir = tempDir();
    writeFileSync(
      join(dir, 'panel.csv'),
      accounts
        .map(
          (a, i) => `${HOST};${a.name};${a.password};${targets[i]!.name};${targets[i]!.password}`,
        )
        .join('\n'),
    );
    const profile = writeProfile(dir, {
      name: 'skipping',
      source: dovecotSource(),
      destination: { imap: dovecotSource(), existing: 'skip' },
      mailboxes: { csv: 'panel.csv' },
    });
    const first = await runBatch(profile);
    expect(first.mailboxes.map((m) => [m.status, m.error?.code ?? null])).toEqual([
      ['skipped', 'SKIPPED'],
      ['done', null],
    ]);
    expect((await mailboxHashes(targets[0]!)).INBOX).toHaveLength(1);
    expect(await mailboxHashes(targets[1]!)).toEqual(await mailboxHashes(accounts[1]!));
    // The next night: the mailbox this batch filled is not skipped for holding its own mail.
    await seedMailbox(dovecot(), accounts[1]!, { INBOX: [{ source: message('Next day') }] });
    const second = await runBatch(profile);
    expect(second.mailboxes.map((m) => m.status)).toEqual(['skipped', 'done']);
    expect(second.totals.copied).toBe(1);
  });

  it('reads a loosely named header, fails the row with a wrong password at preflight, imports the others, and writes a replay CSV of just that row', async () => {
    const accounts = await seededAccounts(4, 'lh');
    const dir = tempDir();
    const rows = accounts.map(
      (a, i) => `"${a.name}";"${i === 2 ? 'wrong-password' : a.password}";"Owner ${i}"`,
    );
    writeFileSync(
      join(dir, 'users.csv'),
      `\uFEFF# exported from the panel\nIMAP user name;IMAP Password;Owner\n\n${rows.join('\n')}\n`,
    );
    const profile = writeProfile(dir, {
      name: 'loose',
      source: dovecotSource(),
      destination: { archive: 'mail.archive' },
      mailboxes: { csv: 'users.csv' },
      preflight: { onFailure: 'continue' },
      throttle: { attempts: 1 },
    });
    const checks = await checkBatch(profile);
    expect(checks.map((c) => [c.label, c.ok, c.error?.code])).toEqual(
      accounts.map((a, i) => [
        `Owner ${i} <${a.name}>`,
        i !== 2,
        i === 2 ? 'AUTH_FAILED' : undefined,
      ]),
    );
    const report = await runBatch(profile);
    expect(report.status).toBe('failed');
    expect(report.totals).toMatchObject({ mailboxes: 4, done: 3, failed: 1 });
    expect(report.mailboxes.find((m) => m.status === 'failed')).toMatchObject({
      label: `Owner 2 <${accounts[2]!.name}>`,
      error: { code: 'AUTH_FAILED' },
    });
    await expectArchived(join(dir, 'mail.archive'), [accounts[0]!, accounts[1]!, accounts[3]!]);
    const replay = readFileSync(report.replayCsv!, 'utf8').trim().split('\n');
    expect(replay).toHaveLength(2);
    expect(replay[1]).toContain(accounts[2]!.name);
    expect(statSync(report.replayCsv!).mode & 0o777).toBe(0o600);
    for (const text of outputs(dir, report)) {
      expect(text).not.toContain('wrong-password');
      for (const account of accounts) expect(text).not.toContain(account.password);
    }
  });

  it('archives an email:password list exactly, and retries a mailbox whose connection is cut mid-import', async () => {
    const accounts = await seededAccounts(3, 'ep');
    const proxy = await startFaultProxy(dovecot().imapPort);
    try {
      const dir = tempDir();
      writeFileSync(
        join(dir, 'list.txt'),
        accounts.map((a) => `${a.name}:${a.password}`).join('\n'),
      );
      // Logins and LIST pass; the first import's FETCH is cut. Once a mailbox is queued again
      // for its retry, the proxy lets everything through.
      proxy.set({ kind: 'cut', afterServerBytes: 2500 });
      const report = await runBatch(
        writeProfile(dir, {
          name: 'retried',
          // No reconnect inside the import: this is about the batch's own retry of a mailbox.
          source: dovecotSource({ port: proxy.port, reconnectAttempts: 0 }),
          destination: { archive: 'mail.archive' },
          mailboxes: { csv: 'list.txt' },
          throttle: { parallelMailboxes: 1, attempts: 3, retryDelaySeconds: 0 },
        }),
        {
          onProgress: (mailboxes) => {
            if (mailboxes.some((m) => m.status === 'queued' && m.error?.code === 'CONNECTION_LOST'))
              proxy.set({ kind: 'pass' });
          },
        },
      );
      expect(proxy.faults()).toBeGreaterThan(0);
      expect(report.status).toBe('done');
      expect(report.mailboxes.some((m) => m.attempts === 2)).toBe(true);
      // What the cut attempt copied counts too: the report adds up to the mailboxes.
      const expected = await Promise.all(accounts.map(mailboxHashes));
      expect(report.totals.copied).toBe(
        expected.reduce((n, folders) => n + Object.values(folders).flat().length, 0),
      );
      await expectArchived(join(dir, 'mail.archive'), accounts);
    } finally {
      await proxy.close();
    }
  });

  it('imports nothing when a mailbox fails preflight and onFailure is stop (the default)', async () => {
    const accounts = await seededAccounts(3, 'st');
    const dir = tempDir();
    writeFileSync(
      join(dir, 'list.txt'),
      accounts.map((a, i) => `${a.name}:${i === 0 ? 'nope' : a.password}`).join('\n'),
    );
    const report = await runBatch(
      writeProfile(dir, {
        name: 'stop',
        source: dovecotSource(),
        destination: { archive: 'mail.archive' },
        mailboxes: { csv: 'list.txt' },
      }),
    );
    expect(report.status).toBe('failed');
    expect(report.totals).toMatchObject({ done: 0, failed: 1, notStarted: 2, copied: 0 });
  });

  it('refuses a new mailbox password that breaks the password policy, at preflight, without echoing it', async () => {
    const [account] = await seededAccounts(1, 'pp');
    const target = destinationAccount();
    const dir = tempDir();
    writeFileSync(
      join(dir, 'panel.csv'),
      `${HOST};${account!.name};${account!.password};${target.name};short\n`,
    );
    const checks = await checkBatch(
      writeProfile(dir, {
        name: 'policy',
        source: dovecotSource(),
        destination: { imap: dovecotSource() },
        mailboxes: { csv: 'panel.csv' },
      }),
    );
    expect(checks[0]).toMatchObject({
      ok: false,
      side: 'password',
      error: { code: 'CONFIG_INVALID' },
    });
    expect(checks[0]!.error!.message).toContain('fewer than 12 characters');
    expect(JSON.stringify(checks)).not.toContain('short');
  });
});

describe('runBatch with a token per mailbox', () => {
  it("logs in with each row's access token, or its refresh token at the profile's endpoint, and archives every message", async () => {
    const [direct, refreshed] = await seededAccounts(2, 'tk');
    const accessToken = `at-${direct!.name}-csv`;
    addOAuthToken(dovecot(), accessToken, direct!.name);
    const exchanged = `at-${refreshed!.name}-exchanged`;
    addOAuthToken(dovecot(), exchanged, refreshed!.name);
    const forms: Record<string, string>[] = [];
    mswServer.use(
      http.post('https://idp.example.test/token', async ({ request }) => {
        forms.push(Object.fromEntries(new URLSearchParams(await request.text())));
        return HttpResponse.json({
          access_token: exchanged,
          token_type: 'Bearer',
          expires_in: 3600,
        });
      }),
    );
    const dir = tempDir();
    writeFileSync(
      join(dir, 'tokens.csv'),
      `E-mail address;Access token;Refresh token\n${direct!.name};${accessToken};\n${refreshed!.name};;rt-${refreshed!.name}\n`,
    );
    const previous = process.env.IMAP_OAUTH2_CLIENT_SECRET;
    process.env.IMAP_OAUTH2_CLIENT_SECRET = 'client-secret-9';
    try {
      const report = await runBatch(
        writeProfile(dir, {
          name: 'tokens',
          source: dovecotSource(),
          oauth2: { tokenUrl: 'https://idp.example.test/token', clientId: 'batch-client' },
          destination: { archive: 'mail.archive' },
          mailboxes: { csv: 'tokens.csv' },
        }),
      );
      expect(report.totals).toMatchObject({ mailboxes: 2, done: 2, failed: 0 });
      for (const account of [direct!, refreshed!])
        expect(archiveHashes(join(dir, 'mail.archive'), `${account.name}@${HOST}`)).toEqual(
          await mailboxHashes(account),
        );
      // Once per login (the check, then the import), always with the row's refresh token.
      expect(forms.length).toBeGreaterThan(0);
      for (const form of forms)
        expect(form).toMatchObject({
          grant_type: 'refresh_token',
          refresh_token: `rt-${refreshed!.name}`,
          client_id: 'batch-client',
          client_secret: 'client-secret-9',
        });
      const reported = JSON.stringify(report);
      for (const secret of [accessToken, exchanged, `rt-${refreshed!.name}`, 'client-secret-9'])
        expect(reported).not.toContain(secret);
    } finally {
      if (previous === undefined) delete process.env.IMAP_OAUTH2_CLIENT_SECRET;
      else process.env.IMAP_OAUTH2_CLIENT_SECRET = previous;
    }
  });
});

describe('runBatch into an archive organized per user', () => {
  it("takes MailStore's CSV: each mailbox's mail goes to its MailStore user name in the archive", async () => {
    const [first, other] = await seededAccounts(2, 'ms');
    const dir = tempDir();
    writeFileSync(
      join(dir, 'mailstore.csv'),
      [
        'MailStore user name;E-mail address;Password',
        `alice;${first!.name};${first!.password}`,
        `bob;${other!.name};${other!.password}`,
      ].join('\n'),
    );
    const report = await runBatch(
      writeProfile(dir, {
        name: 'mailstore',
        source: dovecotSource(),
        destination: { archive: 'mail.archive' },
        mailboxes: { csv: 'mailstore.csv' },
      }),
    );
    expect(report.totals).toMatchObject({ mailboxes: 2, done: 2, failed: 0 });
    const archive = join(dir, 'mail.archive');
    expect(archiveHashes(archive, 'alice')).toEqual(await mailboxHashes(first!));
    expect(archiveHashes(archive, 'bob')).toEqual(await mailboxHashes(other!));
    expect(archiveHashes(archive, `${first!.name}@${HOST}`)).toEqual({});
    // Both mailboxes into one archive user: its folders hold both, each message once.
    writeFileSync(
      join(dir, 'merged.csv'),
      `MailStore user name;E-mail address;Password\ncarol;${first!.name};${first!.password}\ncarol;${other!.name};${other!.password}\n`,
    );
    const merged = await runBatch(
      writeProfile(dir, {
        name: 'merged',
        source: dovecotSource(),
        destination: { archive: 'mail.archive' },
        mailboxes: { csv: 'merged.csv' },
      }),
    );
    expect(merged.totals).toMatchObject({ mailboxes: 2, done: 2, failed: 0 });
    const both = await Promise.all([first!, other!].map((account) => mailboxHashes(account)));
    const union: Record<string, string[]> = {};
    for (const hashes of both)
      for (const [folder, list] of Object.entries(hashes))
        union[folder] = [...new Set([...(union[folder] ?? []), ...list])].sort();
    expect(archiveHashes(archive, 'carol')).toEqual(union);
    // One archive user written two ways is refused before any connection.
    writeFileSync(
      join(dir, 'shared.csv'),
      `MailStore user name;E-mail address;Password\nalice;${first!.name};x\nAlice;${other!.name};y\n`,
    );
    await expect(
      runBatch(
        writeProfile(dir, {
          name: 'shared',
          source: dovecotSource(),
          destination: { archive: 'mail.archive' },
          mailboxes: { csv: 'shared.csv' },
        }),
      ),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(
        /line 3: archive user "Alice" is line 2's "alice" written another way/,
      ),
    });
  });
});

describe('runBatch provisioning', () => {
  it('creates a missing destination mailbox through a provisioning webhook (JSON body)', async () => {
    const [account] = await seededAccounts(1, 'pw');
    const mailbox = { name: `hook${Date.now() % 100000}`, password: 'Webhook-Pass-2026' };
    const requests: unknown[] = [];
    mswServer.use(
      http.post('https://panel.example.test/provision', async ({ request }) => {
        const body = (await request.json()) as { mailbox: string; password: string };
        requests.push(body);
        addDovecotUsers(dovecot(), [{ name: body.mailbox, password: body.password }]);
        return HttpResponse.json({ created: true });
      }),
    );
    const dir = tempDir();
    writeFileSync(
      join(dir, 'panel.csv'),
      `${HOST};${account!.name};${account!.password};${mailbox.name};${mailbox.password}\n`,
    );
    const report = await runBatch(
      writeProfile(dir, {
        name: 'hooked',
        source: dovecotSource(),
        destination: {
          imap: dovecotSource(),
          provision: { webhook: 'https://panel.example.test/provision' },
        },
        mailboxes: { csv: 'panel.csv' },
      }),
    );
    expect(report.totals).toMatchObject({ done: 1, failed: 0 });
    expect(requests).toEqual([
      { action: 'create', mailbox: mailbox.name, password: mailbox.password },
    ]);
    expect(await mailboxHashes(mailbox)).toEqual(await mailboxHashes(account!));
  });

  it('waits for a mailbox the hook created to log in (the panel needs a moment), instead of failing it at once', async () => {
    const [account] = await seededAccounts(1, 'pd');
    const mailbox = { name: `slow${Date.now() % 100000}`, password: 'Delayed-Pass-2026' };
    let called = 0;
    mswServer.use(
      http.post('https://panel.example.test/slow', async ({ request }) => {
        const body = (await request.json()) as { mailbox: string; password: string };
        called++;
        // The panel answers at once and the mailbox logs in 0.6 s later.
        setTimeout(
          () => addDovecotUsers(dovecot(), [{ name: body.mailbox, password: body.password }]),
          600,
        );
        return HttpResponse.json({ created: true });
      }),
    );
    const dir = tempDir();
    writeFileSync(
      join(dir, 'panel.csv'),
      `${HOST};${account!.name};${account!.password};${mailbox.name};${mailbox.password}\n`,
    );
    const report = await runBatch(
      writeProfile(dir, {
        name: 'slow-hook',
        source: dovecotSource(),
        destination: {
          imap: dovecotSource(),
          provision: { webhook: 'https://panel.example.test/slow' },
        },
        mailboxes: { csv: 'panel.csv' },
      }),
    );
    expect(report.totals).toMatchObject({ done: 1, failed: 0 });
    expect(called).toBe(1);
    expect(await mailboxHashes(mailbox)).toEqual(await mailboxHashes(account!));
  });

  it('does not have the hook create a mailbox with a password the policy refuses, also an email,password row', async () => {
    const [account] = await seededAccounts(1, 'pp');
    let called = 0;
    mswServer.use(
      http.post('https://panel.example.test/policy', () => {
        called++;
        return HttpResponse.json({ created: true });
      }),
    );
    const dir = tempDir();
    // No new password on the row: the mailbox would be created with the source's (as for an
    // email,password row), which this policy refuses.
    const missing = `nopw${Date.now() % 100000}`;
    writeFileSync(
      join(dir, 'panel.csv'),
      `${HOST};${account!.name};${account!.password};${missing};\n`,
    );
    const report = await runBatch(
      writeProfile(dir, {
        name: 'policy-hook',
        source: dovecotSource(),
        destination: {
          imap: dovecotSource(),
          provision: { webhook: 'https://panel.example.test/policy' },
        },
        mailboxes: { csv: 'panel.csv' },
        preflight: {
          onFailure: 'continue',
          passwordPolicy: { minLength: 64, lowerCase: true, upperCase: true, digitOrSpecial: true },
        },
      }),
    );
    expect(called).toBe(0);
    expect(report.totals).toMatchObject({ done: 0, failed: 1 });
    expect(report.mailboxes[0]!.error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(report.mailboxes[0]!.error!.message).toMatch(
      /would be created with a password .* password policy: fewer than 64 characters/,
    );
    expect(JSON.stringify(report)).not.toContain(account!.password);
  });

  it('with the destination master user, tells a mailbox that exists (wrong password in the list) from a missing one', async () => {
    const [a, b] = await seededAccounts(2, 'pm');
    const existing = destinationAccount('pe');
    const missing = { name: `miss${Date.now() % 100000}`, password: 'Missing-Pass-2026' };
    const created: string[] = [];
    mswServer.use(
      http.post('https://panel.example.test/master', async ({ request }) => {
        const body = (await request.json()) as { mailbox: string; password: string };
        created.push(body.mailbox);
        addDovecotUsers(dovecot(), [{ name: body.mailbox, password: body.password }]);
        return HttpResponse.json({ created: true });
      }),
    );
    const dir = tempDir();
    writeFileSync(
      join(dir, 'panel.csv'),
      [
        `${HOST};${a!.name};${a!.password};${existing.name};Wrong-Pass-2026x`,
        `${HOST};${b!.name};${b!.password};${missing.name};${missing.password}`,
      ].join('\n'),
    );
    const previous = process.env.IMAP_TARGET_MASTER_PASSWORD;
    process.env.IMAP_TARGET_MASTER_PASSWORD = dovecot().master.password;
    try {
      const report = await runBatch(
        writeProfile(dir, {
          name: 'master-check',
          source: dovecotSource(),
          destination: {
            imap: dovecotSource(),
            masterUser: dovecot().master.name,
            provision: { webhook: 'https://panel.example.test/master' },
          },
          mailboxes: { csv: 'panel.csv' },
          preflight: { onFailure: 'continue' },
        }),
      );
      // Only the missing mailbox was created; the existing one was not handed to the hook.
      expect(created).toEqual([missing.name]);
      expect(report.totals).toMatchObject({ done: 1, failed: 1 });
      const refused = report.mailboxes.find((m) => m.label === a!.name)!;
      expect(refused.error).toMatchObject({ code: 'AUTH_FAILED' });
      expect(refused.error!.message).toMatch(
        /exists but refuses the password in the list \(line 1\)/,
      );
      expect(await mailboxHashes(missing)).toEqual(await mailboxHashes(b!));
      expect(JSON.stringify(report)).not.toContain(dovecot().master.password);
    } finally {
      if (previous === undefined) delete process.env.IMAP_TARGET_MASTER_PASSWORD;
      else process.env.IMAP_TARGET_MASTER_PASSWORD = previous;
    }
  });

  it('replaces an existing mailbox: batch check lists what goes, the hook sets the new password, the folders the import writes are emptied once', async () => {
    const [account] = await seededAccounts(1, 'rp');
    const existing = destinationAccount('re');
    await seedMailbox(dovecot(), existing, {
      INBOX: [{ source: message('re old 1') }, { source: message('re old 2') }],
      Keep: [{ source: message('re not written') }],
    });
    const keep = (await mailboxHashes(existing)).Keep;
    const newPassword = 'Replaced-Pass-2026';
    const requests: { action: string; mailbox: string }[] = [];
    mswServer.use(
      http.post('https://panel.example.test/replace', async ({ request }) => {
        const body = (await request.json()) as {
          action: string;
          mailbox: string;
          password: string;
        };
        requests.push({ action: body.action, mailbox: body.mailbox });
        addDovecotUsers(dovecot(), [{ name: body.mailbox, password: body.password }]);
        return HttpResponse.json({ ok: true });
      }),
    );
    const dir = tempDir();
    writeFileSync(
      join(dir, 'panel.csv'),
      `${HOST};${account!.name};${account!.password};${existing.name};${newPassword}\n`,
    );
    const previous = process.env.IMAP_TARGET_MASTER_PASSWORD;
    process.env.IMAP_TARGET_MASTER_PASSWORD = dovecot().master.password;
    try {
      const profile = writeProfile(dir, {
        name: 'replacing',
        source: dovecotSource(),
        destination: {
          imap: dovecotSource(),
          existing: 'replace',
          masterUser: dovecot().master.name,
          provision: { webhook: 'https://panel.example.test/replace' },
        },
        mailboxes: { csv: 'panel.csv' },
      });
      const [check] = await checkBatch(profile);
      expect(check).toMatchObject({ ok: true, removes: [{ path: 'INBOX', messages: 2 }] });
      expect(check!.plan).toMatch(/^replace: first removes 2 messages from 1 folders of /);
      expect(requests).toEqual([{ action: 'setPassword', mailbox: existing.name }]);
      const report = await runBatch(profile);
      expect(report.totals).toMatchObject({ done: 1, failed: 0, destinationRemoved: 2 });
      const copied = await mailboxHashes({ name: existing.name, password: newPassword });
      const source = await mailboxHashes(account!);
      expect(copied.INBOX).toEqual(source.INBOX);
      expect(copied.Keep).toEqual(keep);
      // Replaced once: a later run removes nothing, copies nothing again.
      const again = await runBatch(profile);
      expect(again.totals).toMatchObject({ done: 1, copied: 0, destinationRemoved: 0 });
      const [recheck] = await checkBatch(profile);
      expect(recheck!.removes).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.IMAP_TARGET_MASTER_PASSWORD;
      else process.env.IMAP_TARGET_MASTER_PASSWORD = previous;
    }
  });

  it('with replace added after a run that deleted at the source: empties nothing, and the report says so per mailbox and in its totals', async () => {
    const account = freshUser('rs');
    await seedMailbox(dovecot(), account, {
      INBOX: [{ source: message('rs one') }, { source: message('rs two') }],
    });
    const target = destinationAccount();
    const dir = tempDir();
    writePanelCsv(dir, [[account, target]]);
    const settings = {
      name: 'replace-later',
      source: dovecotSource(),
      mailboxes: { csv: 'panel.csv' },
      copy: { postReadAction: { type: 'delete' } },
    };
    const first = await runBatch(
      writeProfile(dir, { ...settings, destination: { imap: dovecotSource() } }),
    );
    expect(first.totals).toMatchObject({ done: 1, copied: 2, sourceDeleted: 2, replaceSkipped: 0 });
    const copies = await mailboxHashes(target);
    expect(copies.INBOX).toHaveLength(2);
    const profile = writeProfile(dir, {
      ...settings,
      destination: { imap: dovecotSource(), existing: 'replace' },
    });
    const second = await runBatch(profile);
    expect(second.totals).toMatchObject({ done: 1, destinationRemoved: 0, replaceSkipped: 1 });
    const folders = second.mailboxes[0]!.folders;
    expect(folders.map((f) => f.folder)).toContain('INBOX');
    expect(folders.every((f) => f.replaceSkipped === true)).toBe(true);
    expect(await mailboxHashes(target)).toEqual(copies);
    const text = outputs(dir, second)[1]!;
    expect(text).toContain('Not emptied though replace was asked: 1 mailboxes');
    expect(text).toMatch(/DONE +\S+: nothing emptied \(replace: the job ran before without it\)/);
    expect((await batchStatus(profile)).mailboxes[0]!.folders[0]).toMatchObject({
      replaceSkipped: true,
    });
  });

  it('creates missing destination mailboxes with a command hook (JSON on stdin, never in its arguments), then imports', async () => {
    const accounts = await seededAccounts(2, 'pv');
    const missing = accounts.map((_, i) => ({
      name: `new${i}${Date.now() % 100000}`,
      password: `Fresh-Pass-${i}-2026`,
    }));
    const dir = tempDir();
    const seenArgs = join(dir, 'args.txt');
    const script = join(dir, 'provision.mjs');
    // The hook a hosting admin would write: reads the request from stdin, adds the user.
    writeFileSync(
      script,
      `import { readFileSync, writeFileSync } from 'node:fs';
const request = JSON.parse(readFileSync(0, 'utf8'));
writeFileSync(${JSON.stringify(seenArgs)}, JSON.stringify(process.argv.slice(2)));
writeFileSync(${JSON.stringify(dovecot().usersDir)} + '/' + request.mailbox, request.mailbox + ':{PLAIN}' + request.password + '::::::\\n');
`,
    );
    writePanelCsv(
      dir,
      accounts.map((a, i) => [a, missing[i]!]),
    );
    const report = await runBatch(
      writeProfile(dir, {
        name: 'provisioned',
        source: dovecotSource(),
        destination: {
          imap: dovecotSource(),
          provision: { command: [process.execPath, script, '--fixed-arg'] },
        },
        mailboxes: { csv: 'panel.csv' },
      }),
    );
    expect(report.mailboxes.map((m) => m.error)).toEqual([null, null]);
    expect(report.totals).toMatchObject({ mailboxes: 2, done: 2, failed: 0 });
    // The password reached the hook on stdin only.
    expect(JSON.parse(readFileSync(seenArgs, 'utf8'))).toEqual(['--fixed-arg']);
    for (const [i, account] of accounts.entries())
      expect(await mailboxHashes(missing[i]!)).toEqual(await mailboxHashes(account));
  });

  it('reports a hook that fails as PROVISIONING_FAILED without the password', async () => {
    const [account] = await seededAccounts(1, 'pf');
    const dir = tempDir();
    const script = join(dir, 'fail.mjs');
    writeFileSync(
      script,
      `process.stderr.write('quota of accounts reached for Fresh-Pass-9-2026\\n'); process.exit(3);\n`,
    );
    writeFileSync(
      join(dir, 'panel.csv'),
      `${HOST};${account!.name};${account!.password};nobody-here;Fresh-Pass-9-2026\n`,
    );
    const checks = await checkBatch(
      writeProfile(dir, {
        name: 'failing-hook',
        source: dovecotSource(),
        destination: { imap: dovecotSource(), provision: { command: [process.execPath, script] } },
        mailboxes: { csv: 'panel.csv' },
      }),
    );
    expect(checks[0]).toMatchObject({
      ok: false,
      side: 'destination',
      error: { code: 'PROVISIONING_FAILED' },
    });
    expect(checks[0]!.error!.message).toContain(
      'exited with 3: quota of accounts reached for [REDACTED]',
    );
  });
});

describe('runBatch time limit', () => {
  it('ends a run that hits batchTimeoutSeconds as stopped, with its report; the next run finishes, each message once', async () => {
    const accounts = await seededAccounts(3, 'tl');
    const { dir, profile } = archiveProfile('limited', accounts, {
      throttle: { parallelMailboxes: 1, delayBetweenMessages: 0.3, batchTimeoutSeconds: 1 },
    });
    const stopped = await runBatch(profile);
    expect(stopped.status).toBe('stopped');
    expect(stopped.totals.done).toBeLessThan(3);
    expect(readFileSync(join(dir, `limited-run${stopped.runId}.report.txt`), 'utf8')).toContain(
      `run ${stopped.runId}: STOPPED`,
    );
    const unlimited = JSON.parse(readFileSync(profile, 'utf8'));
    delete unlimited.throttle.batchTimeoutSeconds;
    writeFileSync(profile, JSON.stringify(unlimited));
    const finished = await runBatch(profile);
    expect(finished).toMatchObject({ runId: stopped.runId + 1, status: 'done' });
    await expectArchived(join(dir, 'mail.archive'), accounts);
  }, 30_000);
});

describe('runBatch with a master user', () => {
  it('archives all users except two, and only the ones listed, through the master login', async () => {
    const accounts = await seededAccounts(6, 'mu');
    const dir = tempDir();
    writeFileSync(
      join(dir, 'users.txt'),
      `# all of them\n${accounts.map((a) => a.name).join('\n')}\n`,
    );
    const env = { IMAP_MASTER_PASSWORD: dovecot().master.password };
    const except = await runBatch(
      writeProfile(
        dir,
        {
          name: 'except',
          source: dovecotSource(),
          destination: { archive: 'except.archive' },
          mailboxes: {
            masterUser: {
              username: dovecot().master.name,
              usersFile: 'users.txt',
              select: 'except',
              list: [accounts[0]!.name, accounts[1]!.name],
            },
          },
        },
        'except.json',
      ),
      { env },
    );
    expect(except.totals).toMatchObject({ mailboxes: 4, done: 4 });
    expect(except.mailboxes.map((m) => m.label).sort()).toEqual(
      accounts
        .slice(2)
        .map((a) => a.name)
        .sort(),
    );
    await expectArchived(join(dir, 'except.archive'), accounts.slice(2));
    expect(archiveHashes(join(dir, 'except.archive'), `${accounts[0]!.name}@${HOST}`)).toEqual({});
    const only = await runBatch(
      writeProfile(
        dir,
        {
          name: 'only',
          source: dovecotSource(),
          destination: { archive: 'only.archive' },
          mailboxes: {
            masterUser: {
              username: dovecot().master.name,
              users: accounts.map((a) => a.name),
              select: 'only',
              list: [accounts[5]!.name],
            },
          },
        },
        'only.json',
      ),
      { env },
    );
    expect(only.totals).toMatchObject({ mailboxes: 1, done: 1 });
    await expectArchived(join(dir, 'only.archive'), [accounts[5]!]);
  });

  it('says which variable must hold the master password, before any connection', async () => {
    const dir = tempDir();
    const profile = writeProfile(dir, {
      name: 'nopass',
      source: dovecotSource(),
      destination: { archive: 'a.archive' },
      mailboxes: { masterUser: { username: 'master', users: ['a'] } },
    });
    await expect(runBatch(profile, { env: {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('IMAP_MASTER_PASSWORD'),
    });
  });
});
