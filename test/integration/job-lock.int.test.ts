/**
 * One run of a job at a time (issue 9: two imports with the same --state both APPENDed every
 * message). Overlapping cron runs are real processes started together; runs inside one host
 * process are promises started together. The second run fails with JOB_BUSY or, when told to,
 * waits; the mailbox ends with every message exactly once. That a kill -9'd run leaves no
 * stale lock is shown by import-faults.int.test.ts, whose rerun after SIGKILL now takes it.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Archive, runImport } from '../../src/index.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, cliImportArgs } from '../helpers/cli.js';

const COUNT = 60;
// Two real processes pacing 60 messages at 20 ms each: about 2 s of overlap.
const REALTIME = 60_000;

const message = (i: number): { source: string } => ({
  source: `Message-ID: <lock-${i}@test>\r\nSubject: lock ${i}\r\nFrom: a@example.org\r\n\r\nbody ${i}\r\n`,
});

async function seeded(prefix: string): Promise<{ name: string; password: string }> {
  const user = freshUser(prefix);
  await seedMailbox(dovecot(), user, {
    INBOX: Array.from({ length: COUNT }, (_, i) => message(i)),
  });
  return user;
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, err })));
}

describe('two runs of one job at once', () => {
  it(
    '(two CLI imports on one --state) lets one run and stops the other with JOB_BUSY; nothing is copied twice',
    async () => {
      const source = await seeded('ls');
      const destination = freshUser('lt');
      const dir = tempDir();
      writeFileSync(
        join(dir, 'source.json'),
        JSON.stringify({
          ...makeConfig(source),
          password: undefined,
          delayBetweenMessages: '0.02',
        }),
      );
      writeFileSync(
        join(dir, 'target.json'),
        JSON.stringify({
          ...makeConfig(destination),
          password: undefined,
          isTarget: true,
          isSource: false,
        }),
      );
      const env = {
        ...process.env,
        IMAP_PASSWORD: source.password,
        IMAP_TARGET_PASSWORD: destination.password,
      };
      const args = cliImportArgs(dir);
      const [a, b] = await Promise.all([run(args, env), run(args, env)]);
      expect([a.code, b.code].sort(), a.err + b.err).toEqual([0, 8]);
      expect([a.err, b.err].join('\n')).toMatch(/JOB_BUSY/);
      expect(await snapshot(destination)).toEqual(await snapshot(source));
    },
    REALTIME,
  );

  it(
    '(two imports into one archive in one process) runs one, refuses the other, and with waitForLock runs both one after the other',
    async () => {
      const source = await seeded('la');
      const archive = join(tempDir(), 'mail.archive');
      const spec = { destination: { archive }, query: 'ALL FOLDER INBOX' };
      const config = makeConfig(source, { delayBetweenMessages: '0.01' });
      const outcomes = await Promise.allSettled([runImport(config, spec), runImport(config, spec)]);
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
        code: 'JOB_BUSY',
        retryable: true,
      });

      const waited = await Promise.all([
        runImport(config, { ...spec, waitForLock: 30 }),
        runImport(config, { ...spec, waitForLock: 30 }),
      ]);
      expect(waited.map((result) => result.totals.copied).sort((x, y) => x - y)).toEqual([0, 0]);
      const opened = Archive.open(archive, { create: false });
      try {
        expect(opened.stats().messages).toBe(COUNT);
      } finally {
        opened.close();
      }
    },
    REALTIME,
  );

  it(
    '(two reads on one --state) stops the second with JOB_BUSY',
    async () => {
      const source = await seeded('lr');
      const dir = tempDir();
      writeFileSync(
        join(dir, 'source.json'),
        JSON.stringify({
          ...makeConfig(source),
          password: undefined,
          delayBetweenMessages: '0.02',
        }),
      );
      const env = { ...process.env, IMAP_PASSWORD: source.password };
      const args = [
        'read',
        '--config',
        join(dir, 'source.json'),
        '--query',
        'ALL',
        '--all',
        '--state',
        join(dir, 'state.json'),
        '--out',
        join(dir, 'rows.ndjson'),
      ];
      const [a, b] = await Promise.all([run(args, env), run(args, env)]);
      expect([a.code, b.code].sort(), a.err + b.err).toEqual([0, 8]);
    },
    REALTIME,
  );
});
