/**
 * The scheduling examples of docs/batches.md, as written there (issue 27, item 14): the cron
 * line is run by sh as cron runs it (its fields stripped, a bare environment, the paths moved
 * to a temporary folder), once against mailboxes that log in (nothing printed, the report in
 * the log) and once with a wrong password (one line, with the exit code); the systemd units are
 * checked by systemd-analyze verify and their ExecStart run in their WorkingDirectory.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dovecotSource, seededAccounts, writeProfile } from '../helpers/batch-fixtures.js';
import { CLI } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const DOCS = readFileSync(new URL('../../docs/batches.md', import.meta.url), 'utf8');

/** The code block after a marker comment of docs/batches.md. */
function example(marker: string): string {
  const at = DOCS.indexOf(`<!-- ${marker}`);
  expect(at, `${marker} in docs/batches.md`).toBeGreaterThan(0);
  const block = /```\w*\n([\s\S]*?)```/.exec(DOCS.slice(at))!;
  return block[1]!;
}

/** A folder standing for /srv/imap-batch, a profile in it, and imap-connector on a PATH. */
async function batchFolder(password?: string): Promise<{ dir: string; bin: string }> {
  const [account] = await seededAccounts(1, 'cron');
  const dir = tempDir();
  writeFileSync(join(dir, 'list.csv'), `${account!.name},${password ?? account!.password}\n`);
  const profile = writeProfile(dir, {
    name: 'nightly',
    source: dovecotSource(),
    destination: { archive: 'mail.archive' },
    mailboxes: { csv: 'list.csv' },
    throttle: { attempts: 1 },
  });
  writeFileSync(join(dir, 'nightly.yml'), readFileSync(profile));
  // What npm install -g puts on the PATH.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'imap-connector'),
    `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`,
  );
  chmodSync(join(bin, 'imap-connector'), 0o755);
  return { dir, bin };
}

/** The cron line's command, as cron hands it to sh, in `dir`. */
function cronCommand(dir: string): string {
  const line = example('cron-example')
    .split('\n')
    .find((text) => text.trim() !== '' && !text.startsWith('#'))!;
  // minute hour day month weekday user command (the /etc/cron.d format)
  const command = line.trim().split(/\s+/).slice(6).join(' ');
  return command.replaceAll('/srv/imap-batch', dir);
}

const cronEnv = (bin: string) => ({ PATH: `${bin}:/usr/bin:/bin`, HOME: '/tmp', SHELL: '/bin/sh' });

describe('the scheduling examples of docs/batches.md', () => {
  it('the cron line: nothing printed on a good night, the report in the log', async () => {
    const { dir, bin } = await batchFolder();
    const run = spawnSync('/bin/sh', ['-c', cronCommand(dir)], {
      env: cronEnv(bin),
      timeout: 60_000,
    });
    expect(run.status, run.stderr.toString()).toBe(0);
    expect(run.stdout.toString()).toBe('');
    expect(readFileSync(join(dir, 'nightly.log'), 'utf8')).toMatch(/Batch "nightly", run 1: DONE/);
  });

  it('the cron line: one line with the exit code when a night failed, for cron to mail', async () => {
    const { dir, bin } = await batchFolder('not-the-password');
    const run = spawnSync('/bin/sh', ['-c', cronCommand(dir)], {
      env: cronEnv(bin),
      timeout: 60_000,
    });
    const out = run.stdout.toString();
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(out).toContain(`imap batch nightly.yml failed (exit 3); see ${dir}/nightly.log`);
    expect(readFileSync(join(dir, 'nightly.log'), 'utf8')).toMatch(/AUTH_FAILED/);
  });

  it('the systemd units: systemd-analyze verify accepts them, and ExecStart runs the batch', async () => {
    const { dir, bin } = await batchFolder();
    const units = example('systemd-example');
    const [service, timer] = units.split(/^# \/etc\/systemd\/system\/imap-batch\.timer$/m);
    const unitDir = join(dir, 'units');
    mkdirSync(unitDir);
    // Only the paths moved here: the user that exists, the folder, the executable.
    const local = (text: string): string =>
      text
        .replaceAll('/srv/imap-batch', dir)
        .replaceAll('/usr/bin/imap-connector', join(bin, 'imap-connector'))
        .replace(/^User=.*$/m, 'User=root');
    writeFileSync(join(unitDir, 'imap-batch.service'), local(service!));
    writeFileSync(join(unitDir, 'imap-batch.timer'), local(timer!));
    const verify = spawnSync(
      'systemd-analyze',
      [
        'verify',
        '--man=no',
        join(unitDir, 'imap-batch.service'),
        join(unitDir, 'imap-batch.timer'),
      ],
      { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' } },
    );
    // Only problems of these units count: a container's own units may not load.
    const ours = verify.stderr.split('\n').filter((line) => line.includes('imap-batch'));
    expect(ours, verify.stderr).toEqual([]);
    const exec = /^ExecStart=(.*)$/m.exec(local(service!))![1]!;
    const workingDirectory = /^WorkingDirectory=(.*)$/m.exec(local(service!))![1]!;
    const run = spawnSync('/bin/sh', ['-c', exec], {
      cwd: workingDirectory,
      env: cronEnv(bin),
      timeout: 60_000,
    });
    expect(run.status, run.stderr.toString()).toBe(0);
    expect(run.stdout.toString()).toMatch(/Batch "nightly", run 1: DONE/);
    expect(/^OnCalendar=\*-\*-\* 02:15:00$/m.test(timer!)).toBe(true);
  });
});
