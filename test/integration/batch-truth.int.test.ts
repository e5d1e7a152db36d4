/**
 * What a local batch says must be true (issue 24), each case one that was false on the
 * previous main: a batch whose source and destination are one server deadlocked and exited 0
 * with no report; after kill -9 or Ctrl-C `batch status` said RUNNING for ever; a continued
 * run counted only the last process's copies; a Ctrl-C said "retry no: fix the cause first";
 * every failure exited 9; one mailbox listed under two names of its server was imported twice
 * at once. Against the private Dovecot, through the CLI as a person or cron runs it.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import {
  destinationAccount,
  dovecotSource,
  mailboxHashes,
  seededAccounts,
  writePanelCsv,
  writeProfile,
  type Account,
} from '../helpers/batch-fixtures.js';
import { captureIo } from '../helpers/capture-io.js';
import { CLI, sleep } from '../helpers/cli.js';
import { message } from '../helpers/corpus.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

// Real imports of a few dozen messages, and CLI processes started and killed.
const REALTIME = 60 * 1000;

/** A profile copying `accounts` into new logins on the same Dovecot: source and destination one server. */
function sameServerBatch(
  name: string,
  accounts: Account[],
  throttle: Record<string, unknown>,
): { dir: string; profile: string; targets: Account[] } {
  const dir = tempDir();
  const targets = accounts.map(() => destinationAccount());
  writePanelCsv(
    dir,
    accounts.map((account, i) => [account, targets[i]!]),
  );
  const profile = writeProfile(dir, {
    name,
    source: dovecotSource(),
    destination: { imap: dovecotSource() },
    mailboxes: { csv: 'panel.csv' },
    throttle,
  });
  return { dir, profile, targets };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('a batch whose source and destination are one server', () => {
  it.each([
    ['a cap of one (a mailbox needs both of its connections there)', 1, 2],
    ['as many mailboxes at once as the cap allows connections', 2, 2],
    ['more mailboxes at once than the cap', 2, 4],
  ])(
    'ends with every mailbox exact and exit 0: %s',
    async (_name, cap, parallel) => {
      const accounts = await seededAccounts(4, 'same');
      const { profile, targets } = sameServerBatch('same-server', accounts, {
        maxConnectionsPerServer: cap,
        parallelMailboxes: parallel,
      });
      const run = await cli(['batch', 'run', profile]);
      expect(run.code, run.err).toBe(0);
      expect(run.out).toMatch(/run 1: DONE/);
      for (const [i, account] of accounts.entries())
        expect(await mailboxHashes(targets[i]!)).toEqual(await mailboxHashes(account));
    },
    REALTIME,
  );
});

/** Accounts with `count` messages each, copied slowly (a delay per message) so a run can be cut. */
async function slowBatch(name: string): Promise<{ profile: string; accounts: Account[] }> {
  const accounts = Array.from({ length: 4 }, () => freshUser('stop'));
  await Promise.all(
    accounts.map((a) =>
      seedMailbox(dovecot(), a, {
        INBOX: Array.from({ length: 15 }, (_, i) => ({ source: message(`${a.name} ${i}`) })),
      }),
    ),
  );
  const dir = tempDir();
  writeFileSync(join(dir, 'users.csv'), accounts.map((a) => `${a.name},${a.password}`).join('\n'));
  const profile = writeProfile(dir, {
    name,
    source: dovecotSource(),
    destination: { archive: 'mail.archive' },
    mailboxes: { csv: 'users.csv' },
    throttle: { parallelMailboxes: 2, delayBetweenMessages: 0.05 },
  });
  return { profile, accounts };
}

/** Starts `batch run` as a process and stops it with `signal` once it has copied a few messages. */
async function startAndStop(
  profile: string,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [CLI, 'batch', 'run', profile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  for (let i = 0; i < 200; i++) {
    await sleep(50);
    const status = await cli(['batch', 'status', profile, '--json']);
    const copied =
      status.code === 0
        ? (JSON.parse(status.out) as { mailboxes: { copied: number }[] }).mailboxes.reduce(
            (n, m) => n + m.copied,
            0,
          )
        : 0;
    if (copied >= 5) break;
  }
  child.kill(signal);
  return { code: await exited, err };
}

describe('a batch stopped before its end', () => {
  it(
    '(kill -9) is INTERRUPTED in status and list, never RUNNING, and batch run continues it',
    async () => {
      const { profile } = await slowBatch('killed');
      await startAndStop(profile, 'SIGKILL');
      const status = await cli(['batch', 'status', profile]);
      expect(status.out).toMatch(
        /run 1: INTERRUPTED .*continue it with "imap-connector batch run"/,
      );
      expect(status.out).not.toMatch(/RUNNING/);
      const list = await cli(['batch', 'list', profile]);
      expect(list.out).toMatch(/run 1  INTERRUPTED .*interrupted: continue it with batch run/);
      const again = await cli(['batch', 'run', profile]);
      expect(again.code, again.err).toBe(0);
      expect(again.out).toMatch(/run 1: DONE/);
    },
    REALTIME,
  );

  it(
    '(Ctrl-C) exits 130 saying how to go on; the continued run counts the copies of both processes',
    async () => {
      const { profile, accounts } = await slowBatch('interrupted');
      const stopped = await startAndStop(profile, 'SIGINT');
      expect(stopped.code).toBe(130);
      expect(stopped.err).toMatch(/STOPPED {2}ABORTED/);
      expect(stopped.err).toMatch(/continue {6}run the same command again/);
      expect(stopped.err).not.toMatch(/fix the cause first/);
      expect((await cli(['batch', 'status', profile])).out).toMatch(/INTERRUPTED/);
      const again = await cli(['batch', 'run', profile, '--json']);
      expect(again.code, again.err).toBe(0);
      const report = JSON.parse(again.out) as { totals: { copied: number; duplicates: number } };
      // Every message once over both processes: 4 accounts of 15.
      expect(report.totals.copied).toBe(accounts.length * 15);
    },
    REALTIME,
  );
});

describe('exit codes of batch run', () => {
  it(
    'is the class of the worst failure: a refused login (3), not the write class (9) for everything',
    async () => {
      const [good] = await seededAccounts(1, 'ex');
      const dir = tempDir();
      writeFileSync(
        join(dir, 'users.csv'),
        `${good!.name},${good!.password}\nnobody-${Date.now()},wrong-password\n`,
      );
      const profile = writeProfile(dir, {
        name: 'codes',
        source: dovecotSource(),
        destination: { archive: 'mail.archive' },
        mailboxes: { csv: 'users.csv' },
        preflight: { onFailure: 'continue' },
      });
      const run = await cli(['batch', 'run', profile]);
      expect(run.out).toMatch(/AUTH_FAILED/);
      expect(run.code).toBe(3);
    },
    REALTIME,
  );
});

describe('two mailboxes into one destination mailbox', () => {
  it.each([
    ['existing: replace', { existing: 'replace' }, {}],
    ['mirrorDeletions', {}, { mirrorDeletions: true }],
  ])(
    'with %s: refused before any connection, naming both lines; without it, a merge runs',
    async (name, destination, copy) => {
      const first = freshUser('mga');
      const second = freshUser('mgb');
      const target = destinationAccount();
      const dir = tempDir();
      const port = dovecot().imapPort;
      writeFileSync(
        join(dir, 'panel.csv'),
        [first, second]
          .map((a) => `127.0.0.1:${port};${a.name};${a.password};${target.name};${target.password}`)
          .join('\n'),
      );
      const profileOf = (extra: Record<string, unknown>, more: Record<string, unknown>) =>
        writeProfile(dir, {
          name: `merge-${Object.keys(extra).length + Object.keys(more).length}`,
          source: dovecotSource(),
          destination: { imap: dovecotSource(), ...extra },
          mailboxes: { csv: 'panel.csv' },
          ...(Object.keys(more).length > 0 ? { copy: more } : {}),
        });
      const run = await cli(['batch', 'run', profileOf(destination, copy)]);
      expect(run.code).toBe(2);
      expect(run.err).toContain(
        `line 2: into the same destination mailbox as line 1 (${target.name.toLowerCase()} at 127.0.0.1:${port}), and ${name} removes mail there`,
      );
      const merge = await cli(['batch', 'run', profileOf({}, {})]);
      expect(merge.code).toBe(0);
    },
  );
});

describe('one mailbox listed under two names of its server', () => {
  it('is refused before any connection, naming both lines', async () => {
    const account = freshUser('twice');
    const target = destinationAccount();
    const dir = tempDir();
    const port = dovecot().imapPort;
    writeFileSync(
      join(dir, 'panel.csv'),
      [
        `127.0.0.1:${port};${account.name};${account.password};${target.name};${target.password}`,
        `localhost:${port};${account.name};${account.password};${target.name};${target.password}`,
      ].join('\n'),
    );
    const profile = writeProfile(dir, {
      name: 'twice',
      source: dovecotSource(),
      destination: { imap: dovecotSource() },
      mailboxes: { csv: 'panel.csv' },
    });
    const run = await cli(['batch', 'run', profile]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/line 2: the same mailbox as line 1 \(127\.0\.0\.1:\d+\)/);
  });
});
