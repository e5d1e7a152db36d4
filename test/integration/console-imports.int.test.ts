/**
 * Single imports in the console (issue 28, item 3): from saved connections into the archive
 * and into another account, exact by SHA-256; run again, nothing new copied; stopped while the
 * source is silent, then continued to an exact copy; refused with the field named before any
 * connection; never deleted while running; its archive on the Archive page; no secret in its files.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { http, passthrough } from 'msw';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startConsole, type RunningConsole } from '../../src/console/console-server.js';
import {
  archiveHashes,
  destinationAccount,
  mailboxHashes,
  seededAccounts,
  type Account,
} from '../helpers/batch-fixtures.js';
import { sleep } from '../helpers/cli.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { dovecot } from '../helpers/make-config.js';
import { mswServer } from '../helpers/msw-server.js';
import { tempDir } from '../helpers/temp-dir.js';

let app: RunningConsole;
let csrf = '';
let dataDir = '';

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${app.token}`,
      'x-csrf-token': csrf,
      'content-type': 'application/json',
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return response.json();
}

function save(name: string, account: Account, port = dovecot().imapPort): Promise<any> {
  return call('PUT', `/api/connections/${name}`, {
    config: {
      server: dovecot().host,
      port,
      security: 'none',
      username: account.name,
      password: account.password,
    },
  });
}

async function ended(name: string): Promise<any> {
  for (let i = 0; i < 150; i++) {
    const status = await call('GET', `/api/imports/${name}`);
    if (!status.running) return status;
    await sleep(200);
  }
  throw new Error(`the import ${name} did not end`);
}

describe('single imports in the console', () => {
  let source: Account;
  beforeAll(async () => {
    [source] = (await seededAccounts(1, 'ci')) as [Account];
    dataDir = tempDir('console-imports-');
    app = await startConsole({ dataDir, env: {} });
    mswServer.use(http.all(`${app.url}/*`, () => passthrough()));
    csrf = (await call('GET', '/api/session')).csrfToken;
    expect((await save('source', source)).name).toBe('source');
  });
  beforeEach(() => {
    mswServer.use(http.all(`${app.url}/*`, () => passthrough()));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('imports into the archive and into another account, exactly, and again copies nothing', async () => {
    const target = destinationAccount('cid');
    await save('target', target);
    const create = (name: string, destination: string) =>
      call('POST', '/api/imports', { name, source: 'source', destination });
    expect(await create('to-archive', 'archive')).toEqual({ ok: true, name: 'to-archive' });
    expect(await create('to-target', 'target')).toEqual({ ok: true, name: 'to-target' });
    for (const name of ['to-archive', 'to-target'])
      expect(await call('POST', `/api/imports/${name}/start`)).toEqual({ ok: true });
    const first = await ended('to-archive');
    await ended('to-target');
    const expected = await mailboxHashes(source);
    const archive = join(dataDir, 'imports', 'to-archive', 'mail.archive');
    expect(archiveHashes(archive, `${source.name}@${dovecot().host}`)).toEqual(expected);
    expect(await mailboxHashes(target)).toMatchObject(expected);
    const copied = Object.values(expected).flat().length;
    expect(first.runs).toMatchObject([{ id: 1, status: 'done', totals: { copied, failed: 0 } }]);

    await call('POST', '/api/imports/to-target/start');
    const again = await ended('to-target');
    expect(again.runs.map((r: any) => [r.status, r.totals.copied])).toEqual([
      ['done', copied],
      ['done', 0],
    ]);
    const result = await call('GET', '/api/imports/to-target/runs/1');
    expect(result.folders.map((f: any) => f.folder)).toEqual(
      expect.arrayContaining(Object.keys(expected)),
    );

    // Its archive is on the Archive page; its files name connections, never a password.
    const archives = (await call('GET', '/api/archives')) as { name: string }[];
    expect(archives.map((a) => a.name)).toContain('to-archive (import)');
    for (const name of ['to-archive', 'to-target'])
      for (const file of readdirSync(join(dataDir, 'imports', name)).filter((f) =>
        f.endsWith('.json'),
      ))
        expect(readFileSync(join(dataDir, 'imports', name, file), 'utf8')).not.toContain(
          source.password,
        );
  });

  it('stops while the source is silent, and the next Start continues to an exact copy', async () => {
    const proxy = await startFaultProxy(dovecot().imapPort);
    try {
      await save('slow', source, proxy.port);
      expect(
        (
          await call('POST', '/api/imports', {
            name: 'stoppable',
            source: 'slow',
            destination: 'archive',
          })
        ).ok,
      ).toBe(true);
      proxy.set({ kind: 'silent', afterServerBytes: 2000 });
      await call('POST', '/api/imports/stoppable/start');
      await sleep(1000);
      expect((await call('GET', '/api/imports/stoppable')).running).toBe(true);
      // Running: a second start and a delete are refused.
      expect((await call('POST', '/api/imports/stoppable/start')).error.code).toBe('JOB_BUSY');
      expect((await call('DELETE', '/api/imports/stoppable')).error.code).toBe('JOB_BUSY');
      expect(await call('POST', '/api/imports/stoppable/stop')).toEqual({
        ok: true,
        stopped: true,
      });
      const stopped = await call('GET', '/api/imports/stoppable');
      expect(stopped.running).toBe(false);
      expect(stopped.runs.at(-1).status).toBe('stopped');
      expect(stopped.runs.at(-1).error).toBeUndefined();

      proxy.set({ kind: 'pass' });
      await call('POST', '/api/imports/stoppable/start');
      const done = await ended('stoppable');
      expect(done.runs.map((r: any) => r.status)).toEqual(['stopped', 'done']);
      const archive = join(dataDir, 'imports', 'stoppable', 'mail.archive');
      expect(archiveHashes(archive, `${source.name}@${dovecot().host}`)).toEqual(
        await mailboxHashes(source),
      );
      expect(await call('DELETE', '/api/imports/stoppable')).toEqual({ ok: true });
      expect((await call('GET', '/api/imports/stoppable')).error.code).toBe('NOT_FOUND');
    } finally {
      await proxy.close();
    }
  });

  it('refuses an unknown connection, a bad query and a taken name with the field, before any connection', async () => {
    const unknown = await call('POST', '/api/imports', {
      name: 'x',
      source: 'nosuch',
      destination: 'source',
    });
    expect(unknown.error.code).toBe('CONFIG_INVALID');
    expect(unknown.error.details.issues).toEqual([
      { field: '/source', message: 'choose a saved connection' },
    ]);
    const same = await call('POST', '/api/imports', {
      name: 'x',
      source: 'source',
      destination: 'source',
    });
    expect(JSON.stringify(same.error)).toMatch(/the destination is the source connection/);
    const query = await call('POST', '/api/imports', {
      name: 'x',
      source: 'source',
      destination: 'archive',
      query: 'SINCE yesterday-ish',
    });
    expect(query.error.code).toBe('QUERY_INVALID');
    expect(query.error.message).toMatch(/column/);
    expect(
      (
        await call('POST', '/api/imports', {
          name: '../x',
          source: 'source',
          destination: 'archive',
        })
      ).error.code,
    ).toBe('CONFIG_INVALID');
    expect(
      (await call('POST', '/api/imports', { name: 'y', source: 'source', destination: 'archive' }))
        .ok,
    ).toBe(true);
    const taken = await call('POST', '/api/imports', {
      name: 'y',
      source: 'source',
      destination: 'archive',
    });
    expect(JSON.stringify(taken.error)).toMatch(/exists already/);
    expect((await call('GET', '/api/imports/y')).runs).toEqual([]);
  });
});
