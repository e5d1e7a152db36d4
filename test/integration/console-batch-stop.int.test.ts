/**
 * Stopping a batch from the console: a batch created by the console's upload (multipart, as the
 * page sends it) runs while its source goes silent mid-mailbox; Stop ends it cleanly within a
 * few seconds (the run left open, its state saved), and Start again continues it to the end with
 * every message exactly once in the archive.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { http, passthrough } from 'msw';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { startConsole, type RunningConsole } from '../../src/console/console-server.js';
import { archiveHashes, mailboxHashes, seededAccounts } from '../helpers/batch-fixtures.js';
import { dovecot } from '../helpers/make-config.js';
import { mswServer } from '../helpers/msw-server.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { tempDir } from '../helpers/temp-dir.js';
import { sleep } from '../helpers/cli.js';

let app: RunningConsole;

async function call(method: string, path: string, body?: FormData): Promise<Record<string, any>> {
  const session = (await (
    await fetch(`${app.url}/api/session`, { headers: { authorization: `Bearer ${app.token}` } })
  ).json()) as { csrfToken: string };
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${app.token}`, 'x-csrf-token': session.csrfToken },
    ...(body ? { body } : {}),
  });
  return (await response.json()) as Record<string, any>;
}

describe('a console batch stopped and started again', () => {
  beforeEach(() => {
    if (app) mswServer.use(http.all(`${app.url}/*`, () => passthrough()));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('stops cleanly while a mailbox waits on a silent server, and resumes to an exact archive', async () => {
    const accounts = await seededAccounts(2, 'cs');
    const proxy = await startFaultProxy(dovecot().imapPort);
    const dataDir = tempDir('console-stop-');
    try {
      app = await startConsole({ dataDir, env: {} });
      mswServer.use(http.all(`${app.url}/*`, () => passthrough()));
      const form = new FormData();
      form.set('name', 'stoppable');
      form.set('sourceServer', dovecot().host);
      form.set('sourcePort', String(proxy.port));
      form.set('sourceSecurity', 'none');
      form.set('parallelMailboxes', '1');
      form.set(
        'csv',
        new Blob([accounts.map((a) => `${a.name},${a.password}`).join('\n')]),
        'list.csv',
      );
      expect(await call('POST', '/api/batches', form)).toEqual({ ok: true, name: 'stoppable' });
      expect(
        (await call('POST', '/api/batches/stoppable/preflight')).results.every(
          (r: { ok: boolean }) => r.ok,
        ),
      ).toBe(true);

      // Sessions opened from now on go silent after the greeting and login: the import hangs.
      proxy.set({ kind: 'silent', afterServerBytes: 2000 });
      await call('POST', '/api/batches/stoppable/start');
      await sleep(1500);
      expect((await call('GET', '/api/batches/stoppable')).running).toBe(true);
      const asked = Date.now();
      expect(await call('POST', '/api/batches/stoppable/stop')).toEqual({
        ok: true,
        stopped: true,
      });
      expect(Date.now() - asked).toBeLessThan(5000);
      const stopped = await call('GET', '/api/batches/stoppable');
      expect(stopped.running).toBe(false);
      // The run stays open, its state saved: the next Start continues it.
      expect(stopped.interrupted).toBe(true);

      proxy.set({ kind: 'pass' });
      await call('POST', '/api/batches/stoppable/start');
      for (let i = 0; i < 100 && (await call('GET', '/api/batches/stoppable')).running; i++)
        await sleep(200);
      const finished = await call('GET', '/api/batches/stoppable');
      expect(finished.runs.map((r: { status: string }) => r.status)).toEqual(['done']);
      expect(finished.interrupted).toBe(false);
      const archive = join(dataDir, 'batches', 'stoppable', 'mail.archive');
      for (const account of accounts)
        expect(archiveHashes(archive, `${account.name}@${dovecot().host}`)).toEqual(
          await mailboxHashes(account),
        );
    } finally {
      await proxy.close();
    }
  });

  it('shows why a run could not start: its mailbox list went missing', async () => {
    const dataDir = tempDir('console-fail-');
    await app?.close();
    app = await startConsole({ dataDir, env: {} });
    mswServer.use(http.all(`${app.url}/*`, () => passthrough()));
    const form = new FormData();
    form.set('name', 'broken');
    form.set('sourceServer', dovecot().host);
    form.set('csv', new Blob(['someone,secret-sentinel-pw']), 'list.csv');
    expect((await call('POST', '/api/batches', form)).ok).toBe(true);
    rmSync(join(dataDir, 'batches', 'broken', 'mailboxes.csv'));
    await call('POST', '/api/batches/broken/start');
    for (let i = 0; i < 50 && (await call('GET', '/api/batches/broken')).running; i++)
      await sleep(100);
    const status = await call('GET', '/api/batches/broken');
    expect(status.error.code).toBe('CONFIG_INVALID');
    expect(status.error.message).toMatch(/mailboxes\.csv/);
  });

  it('answers an unknown batch with 404 and no file path, also for its event stream', async () => {
    for (const path of ['/api/batches/nosuch', '/api/batches/nosuch/events']) {
      const session = (await (
        await fetch(`${app.url}/api/session`, { headers: { authorization: `Bearer ${app.token}` } })
      ).json()) as { csrfToken: string };
      const response = await fetch(`${app.url}${path}`, {
        headers: { authorization: `Bearer ${app.token}`, 'x-csrf-token': session.csrfToken },
      });
      expect(response.status, path).toBe(404);
      const body = await response.text();
      expect(body).toContain('NOT_FOUND');
      expect(body).not.toMatch(/\/tmp|profile\.json|batches\//);
    }
  });

  it('refuses a bad mailbox list at upload with its line, and deletes a batch (never while it runs)', async () => {
    const upload = (name: string, csv: string) => {
      const form = new FormData();
      form.set('name', name);
      form.set('sourceServer', dovecot().host);
      form.set('csv', new Blob([csv]), 'list.csv');
      return call('POST', '/api/batches', form);
    };
    const bad = await upload('bad', 'a@example.com,pw\nnot-a-row\n');
    expect(bad.ok).toBe(false);
    expect(bad.error.code).toBe('CONFIG_INVALID');
    expect(JSON.stringify(bad.error)).toMatch(/line 2/);
    expect((await call('GET', '/api/batches')).map((b: { name: string }) => b.name)).not.toContain(
      'bad',
    );
    expect((await upload('gone', 'a@example.com,pw\n')).ok).toBe(true);
    const list = (csv: string) => {
      const form = new FormData();
      form.set('csv', new Blob([csv]), 'list.csv');
      return call('PUT', '/api/batches/gone/csv', form);
    };
    const wrong = await list('a@example.com,pw\nbroken\n');
    expect(wrong.error.code).toBe('CONFIG_INVALID');
    expect(JSON.stringify(wrong.error)).toMatch(/line 2/);
    expect(await list('a@example.com,pw\nb@example.com,pw2\n')).toEqual({ ok: true, mailboxes: 2 });
    expect(await call('DELETE', '/api/batches/gone')).toEqual({ ok: true });
    expect((await call('GET', '/api/batches/gone')).error.code).toBe('NOT_FOUND');
  });

  it('edits settings and the name (reports follow), and retries only the failed mailbox, with its fixed password', async () => {
    const [good, bad] = await seededAccounts(2, 'cr');
    const dataDir = tempDir('console-retry-');
    await app?.close();
    app = await startConsole({ dataDir, env: {} });
    mswServer.use(http.all(`${app.url}/*`, () => passthrough()));
    const csv = (badPassword: string) =>
      new Blob([`${good!.name},${good!.password}\n${bad!.name},${badPassword}\n`]);
    const form = new FormData();
    form.set('name', 'retry');
    form.set('sourceServer', dovecot().host);
    form.set('sourcePort', String(dovecot().imapPort));
    form.set('sourceSecurity', 'none');
    form.set('csv', csv('wrong-password'), 'list.csv');
    expect((await call('POST', '/api/batches', form)).ok).toBe(true);
    const waitEnd = async (name: string) => {
      await sleep(300);
      for (let i = 0; i < 100 && (await call('GET', `/api/batches/${name}`)).running; i++)
        await sleep(200);
      return call('GET', `/api/batches/${name}`);
    };
    await call('POST', '/api/batches/retry/start');
    const first = await waitEnd('retry');
    expect(first.runs.map((r: { status: string }) => r.status)).toEqual(['failed']);
    expect(first.retryable).toBe(1);
    expect(first.runs[0].notifications).toEqual([]);

    // A setting the server refuses names its field; a good one with a new name moves the batch.
    const settings = (fields: Record<string, string>) => {
      const edit = new FormData();
      for (const [key, value] of Object.entries(fields)) edit.set(key, value);
      return call('PUT', '/api/batches/retry/settings', edit);
    };
    const refused = await settings({ name: 'retry', sourceServer: '' });
    expect(refused.error.code).toBe('CONFIG_INVALID');
    expect(JSON.stringify(refused.error)).toMatch(/\/source/);
    const port = String(dovecot().imapPort);
    const base = { sourceServer: dovecot().host, sourcePort: port, sourceSecurity: 'none' };
    expect(await settings({ ...base, name: 'renamed', parallelMailboxes: '3' })).toEqual({
      ok: true,
      name: 'renamed',
    });
    expect((await call('GET', '/api/batches/retry')).error.code).toBe('NOT_FOUND');
    const renamed = await call('GET', '/api/batches/renamed');
    expect(renamed.profile.throttle.parallelMailboxes).toBe(3);
    expect(renamed.runs).toHaveLength(1);
    expect((await call('GET', '/api/batches/renamed/report/1')).text).toMatch(/AUTH_FAILED/);

    // The list fixed, then only the failed mailbox runs, into the same state.
    const list = new FormData();
    list.set('csv', csv(bad!.password), 'list.csv');
    expect((await call('PUT', '/api/batches/renamed/csv', list)).ok).toBe(true);
    expect((await call('POST', '/api/batches/renamed/retry-failed')).ok).toBe(true);
    const second = await waitEnd('renamed');
    expect(second.runs.map((r: { status: string }) => r.status)).toEqual(['failed', 'done']);
    expect(second.mailboxes.map((m: { label: string }) => m.label)).toEqual([
      expect.stringContaining(bad!.name),
    ]);
    const archive = join(dataDir, 'batches', 'renamed', 'mail.archive');
    for (const account of [good!, bad!])
      expect(archiveHashes(archive, `${account.name}@${dovecot().host}`)).toEqual(
        await mailboxHashes(account),
      );
    expect(second.retryable).toBe(0);
    const again = await call('POST', '/api/batches/renamed/retry-failed');
    expect(again.error.code).toBe('USAGE_INVALID');
    expect(again.error.message).toMatch(/failed no mailbox/);
  });
});
