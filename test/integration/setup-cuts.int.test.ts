/**
 * A cut at every point of a session's setup: greeting, CAPABILITY, LOGIN, NAMESPACE, ENABLE,
 * LIST, SELECT, the first FETCH or APPEND. The random fault matrix lands past these first few
 * hundred bytes almost always; here the link is cut after each step of 60 bytes through the
 * bytes a session's setup takes, once, and the run must go on by itself to an exact result.
 * (CI of 2026-12-03: a cut in the LIST of a read's setup escaped as imapflow's own error, so
 * neither read nor watch reconnected, and the watch ended.)
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { read, runImport, watch } from '../../src/index.js';
import { mailboxHashes } from '../helpers/batch-fixtures.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const mail = (n: number) =>
  `From: a@example.com\r\nSubject: s${n}\r\nMessage-ID: <${n}@setup.test>\r\n\r\nbody ${n}\r\n`;
const SUBJECTS = 's1,s2,s3';
const STEP = 60;

let proxy: FaultProxy;
const source = freshUser('sc');

beforeAll(async () => {
  await seedMailbox(dovecot(), source, { INBOX: [1, 2, 3].map((n) => ({ source: mail(n) })) });
  proxy = await startFaultProxy(dovecot().imapPort);
});
afterAll(() => proxy.close());

/**
 * Runs `trial` with the first new connection cut after 0, 25, 50, ... server bytes, until a
 * cut no longer falls (the run's first session ended before it).
 * @returns "offset: what went wrong" for each trial that failed.
 */
async function sweep(trial: (bytes: number) => Promise<string | undefined>): Promise<string[]> {
  const failures: string[] = [];
  for (let bytes = 0; ; bytes += STEP) {
    proxy.set({ kind: 'cut', afterServerBytes: bytes, connections: 1 });
    const before = proxy.faults();
    try {
      const wrong = await trial(bytes);
      if (wrong !== undefined) failures.push(`${bytes}: ${wrong}`);
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      failures.push(`${bytes}: ${code} ${message}`);
    }
    if (proxy.faults() === before) break;
  }
  proxy.set({ kind: 'pass' });
  return failures;
}

const subjectsOf = (rows: unknown[]) => rows.map((row) => (row as { subject: string }).subject);

describe('a cut anywhere in the setup of a session is reconnected', () => {
  it('read returns every row whatever byte the cut falls on', async () => {
    const config = makeConfig(source, { port: proxy.port, reconnectDelay: 10 });
    const failures = await sweep(async () => {
      const page = await read(config, 'FOLDER INBOX ALL', { pageSize: 10 });
      const got = subjectsOf(page.rows).join();
      return got === SUBJECTS ? undefined : got;
    });
    expect(failures).toEqual([]);
  }, 120_000);

  it('watch delivers every row once whatever byte the cut falls on', async () => {
    const config = makeConfig(source, { port: proxy.port, reconnectDelay: 10 });
    const failures = await sweep(async () => {
      const controller = new AbortController();
      const got: string[] = [];
      const done = watch(config, 'FOLDER INBOX ALL', {
        signal: controller.signal,
        idleRestartSeconds: 600,
        onRows: ({ rows }) => {
          got.push(...subjectsOf(rows));
          if (got.length >= 3) controller.abort();
        },
      });
      const timer = setTimeout(() => controller.abort(), 10_000);
      await done.finally(() => clearTimeout(timer));
      return got.join() === SUBJECTS ? undefined : got.join();
    });
    expect(failures).toEqual([]);
  }, 120_000);

  it.each(['source', 'destination'] as const)(
    'an import into another account copies exactly, cut on the %s side',
    async (side) => {
      const failures = await sweep(async () => {
        const target = freshUser('sd');
        const through = (port: boolean) =>
          port ? { port: proxy.port, reconnectDelay: 10 } : { reconnectDelay: 10 };
        await runImport(makeConfig(source, through(side === 'source')), {
          destination: {
            connection: makeConfig(target, {
              isTarget: true,
              isSource: false,
              ...through(side === 'destination'),
            }),
            state: join(tempDir('setup-cuts-'), 'state.db'),
          },
        });
        const copied = (await mailboxHashes(target)).INBOX ?? [];
        return copied.length === 3 ? undefined : `${copied.length} copied`;
      });
      expect(failures).toEqual([]);
    },
    180_000,
  );
});
