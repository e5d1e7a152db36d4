/**
 * `imap-connector batch` as an admin runs it: run, status, list, check; a run killed with
 * kill -9 and started again ends with every message exactly once; the report by email to a
 * real SMTP server (smtp-server in this process, STARTTLS and AUTH) and by webhook (msw).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { simpleParser } from 'mailparser';
import { http, HttpResponse } from 'msw';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { SqliteRunRecords } from '../../src/batch/sqlite-run-records.js';
import { runBatch } from '../../src/index.js';
import {
  archiveHashes,
  archiveProfile,
  dovecotSource,
  mailboxHashes,
  seededAccounts,
  writeProfile,
} from '../helpers/batch-fixtures.js';
import { captureIo } from '../helpers/capture-io.js';
import { CLI, sleep } from '../helpers/cli.js';
import { message } from '../helpers/corpus.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { mswServer } from '../helpers/msw-server.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const HOST = '127.0.0.1';

describe('imap-connector batch', () => {
  it('runs, shows status and the list of runs, and checks', async () => {
    const accounts = await seededAccounts(3, 'cli');
    const dir = tempDir();
    writeFileSync(
      join(dir, 'users.csv'),
      `E-mail address;IMAP password\n${accounts.map((a) => `${a.name};${a.password}`).join('\n')}\n`,
    );
    const profile = writeProfile(dir, {
      name: 'cli',
      source: dovecotSource(),
      destination: { archive: 'mail.archive' },
      mailboxes: { csv: 'users.csv' },
    });
    const io = captureIo();
    expect(await main(['batch', 'run', profile], io)).toBe(0);
    expect(io.out()).toContain('Batch "cli", run 1: DONE');
    expect(io.out()).toContain('Mailboxes: 3 (3 done, 0 failed, 0 skipped, 0 not started)');
    const status = captureIo();
    expect(await main(['batch', 'status', profile], status)).toBe(0);
    expect(status.out()).toContain('Batch run 1: DONE');
    for (const account of accounts)
      expect(status.out()).toMatch(new RegExp(`DONE +${account.name} `));
    const list = captureIo();
    expect(await main(['batch', 'list', profile], list)).toBe(0);
    expect(list.out()).toMatch(
      /^run 1 {2}DONE .* 3\/3 mailboxes done, 0 failed, \d+ messages copied/m,
    );
    const check = captureIo();
    expect(await main(['batch', 'check', profile], check)).toBe(0);
    expect(check.out()).toContain('3 of 3 mailboxes ready, 0 failed');
    const json = captureIo();
    expect(await main(['batch', 'status', profile, '--json'], json)).toBe(0);
    expect(JSON.parse(json.out()).mailboxes).toHaveLength(3);
  });

  it('--failed-only runs only what the last run failed, from the list as it is now', async () => {
    const [good, bad] = await seededAccounts(2, 'fo');
    const dir = tempDir();
    const list = (badPassword: string) =>
      writeFileSync(
        join(dir, 'users.csv'),
        `${good!.name},${good!.password}\n${bad!.name},${badPassword}\n`,
      );
    list('wrong');
    const profile = writeProfile(dir, {
      name: 'fo',
      source: dovecotSource(),
      destination: { archive: 'mail.archive' },
      mailboxes: { csv: 'users.csv' },
      preflight: { onFailure: 'continue' },
    });
    expect(await main(['batch', 'run', profile], captureIo())).not.toBe(0);
    list(bad!.password);
    const retry = captureIo();
    expect(await main(['batch', 'run', profile, '--failed-only'], retry)).toBe(0);
    expect(retry.out()).toContain('Mailboxes: 1 (1 done, 0 failed, 0 skipped, 0 not started)');
    for (const account of [good!, bad!])
      expect(archiveHashes(join(dir, 'mail.archive'), `${account.name}@${HOST}`)).toEqual(
        await mailboxHashes(account),
      );
    const none = captureIo();
    expect(await main(['batch', 'run', profile, '--failed-only'], none)).toBe(2);
    expect(none.err()).toMatch(/failed no mailbox/);
  });

  it('check lists per mailbox the folders the run will import, with their counts, and what it will do', async () => {
    const accounts = await seededAccounts(2, 'chk');
    const dir = tempDir();
    writeFileSync(
      join(dir, 'users.csv'),
      `E-mail address;IMAP password\n${accounts.map((a) => `${a.name};${a.password}`).join('\n')}\n`,
    );
    const profile = writeProfile(dir, {
      name: 'listed',
      source: dovecotSource(),
      destination: { archive: 'mail.archive' },
      mailboxes: { csv: 'users.csv' },
      copy: { foldersExclude: ['Trash', 'Junk'] },
    });
    const json = captureIo();
    expect(await main(['batch', 'check', profile, '--json'], json)).toBe(0);
    const checks = JSON.parse(json.out()) as {
      label: string;
      plan: string;
      folders: { path: string; messages: number }[];
    }[];
    // seededAccounts: INBOX holds 2 and 3 messages, Sent 1; Drafts is there, empty.
    expect(
      checks.map((c) => Object.fromEntries(c.folders.map((f) => [f.path, f.messages]))),
    ).toEqual([
      { INBOX: 2, Sent: 1, Drafts: 0 },
      { INBOX: 3, Sent: 1, Drafts: 0 },
    ]);
    expect(checks[1]!.plan).toBe('4 messages in 3 folders into the archive (deduplicated)');
    const text = captureIo();
    expect(await main(['batch', 'check', profile], text)).toBe(0);
    expect(text.out()).toContain(`OK       ${accounts[0]!.name}: 3 messages in 3 folders`);
    expect(text.out()).toMatch(/^ +3 {2}INBOX$/m);
    expect(text.out()).not.toContain('Trash');
    // With mirrorDeletions the plan says what else a run does.
    writeProfile(dir, {
      name: 'listed',
      source: dovecotSource(),
      destination: { archive: 'mail.archive' },
      mailboxes: { csv: 'users.csv' },
      copy: { foldersExclude: ['Trash', 'Junk'], mirrorDeletions: true },
    });
    const mirrored = captureIo();
    expect(await main(['batch', 'check', profile, '--json'], mirrored)).toBe(0);
    expect((JSON.parse(mirrored.out()) as { plan: string }[])[1]!.plan).toBe(
      '4 messages in 3 folders into the archive (deduplicated); removes there what the source deleted since it was copied (mirrorDeletions)',
    );
  });

  it('says what is wrong with the command line, the profile and the list, before any connection', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'users.csv'), 'a@x.org\n');
    const profile = writeProfile(dir, {
      name: 'bad',
      source: { server: HOST, port: 1, security: 'none' },
      destination: { archive: 'mail.archive' },
      mailboxes: { csv: 'users.csv' },
    });
    const cases: [string[], number, RegExp][] = [
      [['batch', 'fly', profile], 2, /unknown batch action "fly"/],
      [['batch', 'run'], 2, /needs the profile file/],
      [['batch', 'run', join(dir, 'none.json')], 2, /cannot be read \(ENOENT\)/],
      [['batch', 'run', profile], 2, /line 1: no separator/],
    ];
    for (const [args, code, text] of cases) {
      const io = captureIo();
      expect(await main(args, io), args.join(' ')).toBe(code);
      expect(io.out() + io.err()).toMatch(text);
    }
  });

  it('finishes a batch killed with kill -9 mid-run: the next run continues it, every message exactly once', async () => {
    const accounts = Array.from({ length: 6 }, () => freshUser('k9'));
    await Promise.all(
      accounts.map((a) =>
        seedMailbox(dovecot(), a, {
          INBOX: Array.from({ length: 12 }, (_, i) => ({ source: message(`${a.name} ${i}`) })),
        }),
      ),
    );
    const dir = tempDir();
    writeFileSync(
      join(dir, 'users.csv'),
      accounts.map((a) => `${a.name},${a.password}`).join('\n'),
    );
    const profile = writeProfile(dir, {
      name: 'killed',
      source: dovecotSource(),
      destination: { archive: 'mail.archive' },
      mailboxes: { csv: 'users.csv' },
      throttle: { parallelMailboxes: 2, delayBetweenMessages: 0.05 },
    });
    const child = spawn(process.execPath, [CLI, 'batch', 'run', profile], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const copiedSoFar = async (): Promise<number> => {
      try {
        const state = SqliteRunRecords.open(`${profile}.state`, { readonly: true });
        try {
          return (await state.mailboxes(1)).reduce((sum, m) => sum + m.copied, 0);
        } finally {
          state.close();
        }
      } catch {
        return 0;
      }
    };
    for (let i = 0; i < 300 && (await copiedSoFar()) < 5; i++) await sleep(50);
    child.kill('SIGKILL');
    await exited;
    // Killed mid-way: some of the 72 messages archived, not all.
    const partial = accounts
      .map(
        (a) =>
          Object.values(archiveHashes(join(dir, 'mail.archive'), `${a.name}@${HOST}`)).flat()
            .length,
      )
      .reduce((sum, n) => sum + n, 0);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(72);
    const report = await runBatch(profile);
    expect(report.runId).toBe(1);
    expect(report.status).toBe('done');
    for (const account of accounts)
      expect(archiveHashes(join(dir, 'mail.archive'), `${account.name}@${HOST}`)).toEqual(
        await mailboxHashes(account),
      );
  }, 60_000);
});

describe('batch notifications', () => {
  let smtp: SMTPServer;
  let smtpPort = 0;
  const received: { from: string; to: string[]; raw: string; user: string }[] = [];
  beforeAll(async () => {
    const { caFile } = dovecot();
    const dir = dovecot().dir;
    smtp = new SMTPServer({
      secure: false,
      key: readFileSync(join(dir, 'key.pem')),
      cert: readFileSync(caFile),
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth(auth, _session, callback) {
        if (auth.username === 'reports' && auth.password === 'smtp-secret-42')
          return callback(null, { user: auth.username });
        return callback(new Error('Invalid username or password'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            user: String(session.user),
          });
          callback();
        });
      },
      logger: false,
    });
    await new Promise<void>((resolve) => smtp.listen(0, HOST, resolve));
    smtpPort = (smtp.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('emails the report over STARTTLS with AUTH, and posts it to the webhook, with correct counts and no secret', async () => {
    const accounts = await seededAccounts(2, 'nt');
    const posted: unknown[] = [];
    mswServer.use(
      http.post('https://hooks.example.test/batch', async ({ request }) => {
        posted.push(await request.json());
        return HttpResponse.json({ ok: true });
      }),
    );
    const { profile } = archiveProfile('notified', accounts, {
      notify: {
        email: {
          host: HOST,
          port: smtpPort,
          security: 'starttls',
          username: 'reports',
          caFile: dovecot().caFile,
          from: 'batch@example.test',
          to: ['admin@example.test'],
        },
        webhook: { url: 'https://hooks.example.test/batch' },
      },
    });
    const report = await runBatch(profile, { env: { SMTP_PASSWORD: 'smtp-secret-42' } });
    expect(report.notifications).toEqual([
      { channel: 'email', ok: true },
      { channel: 'webhook', ok: true },
    ]);
    const mail = received.at(-1)!;
    expect(mail).toMatchObject({
      from: 'batch@example.test',
      to: ['admin@example.test'],
      user: 'reports',
    });
    const parsed = await simpleParser(mail.raw);
    const copied = report.totals.copied;
    expect(copied).toBe(2 * 1 + 2 + 3);
    expect(parsed.subject).toBe(
      `[imap-connector] notified: done (2 of 2 mailboxes, ${copied} messages copied)`,
    );
    expect(parsed.text).toContain(`Messages: ${copied} copied`);
    expect(parsed.attachments[0]!.filename).toBe(`notified-run${report.runId}.report.json`);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ name: 'notified', totals: { copied } });
    // The run's log (its text report) says that both were sent.
    const log = readFileSync(
      join(dirname(profile), `notified-run${report.runId}.report.txt`),
      'utf8',
    );
    expect(log).toContain('Notification by email: sent');
    expect(log).toContain('Notification by webhook: sent');
    for (const secret of ['smtp-secret-42', ...accounts.map((a) => a.password)]) {
      expect(mail.raw).not.toContain(secret);
      expect(JSON.stringify(posted)).not.toContain(secret);
    }
  });

  it('records a failed notification in the report and keeps the batch results', async () => {
    const accounts = await seededAccounts(1, 'nf');
    mswServer.use(
      http.post('https://hooks.example.test/down', () => new HttpResponse(null, { status: 503 })),
    );
    const { dir, profile } = archiveProfile('down', accounts, {
      notify: {
        email: {
          host: HOST,
          port: 1,
          security: 'none',
          from: 'a@example.test',
          to: ['b@example.test'],
        },
        webhook: { url: 'https://hooks.example.test/down' },
      },
    });
    const report = await runBatch(profile);
    expect(report.status).toBe('done');
    expect(report.totals.done).toBe(1);
    expect(report.notifications).toEqual([
      { channel: 'email', ok: false, error: expect.stringMatching(/ECONNREFUSED|connect/) },
      { channel: 'webhook', ok: false, error: 'HTTP 503' },
    ]);
    expect(readFileSync(join(dir, 'down-run1.report.txt'), 'utf8')).toContain(
      'Notification by webhook failed: HTTP 503',
    );
  });
});
