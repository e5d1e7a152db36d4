/**
 * The web console in Debian's Chromium against the real Dovecot: the connection form from the
 * manifest and Test Connection (folder count; AUTH_FAILED with its hint), Test Query and Preview,
 * a saved connection whose password never comes back; a three-mailbox batch from an uploaded CSV,
 * preflight before Start, watched until it finishes; the archive searched and a message
 * downloaded as .eml with the source's exact bytes; requests without the token and cross-site
 * POSTs refused; no password in any page, response, file or log. Screenshots in test-artifacts/.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startConsole, type RunningConsole } from '../../src/console/console-server.js';
import { seededAccounts, type Account } from '../helpers/batch-fixtures.js';
import { artifactPath, launchChromium } from '../helpers/chromium.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';
import { http, passthrough } from 'msw';
import { mswServer } from '../helpers/msw-server.js';
import { withImapClient } from '../helpers/imap-client.js';
import { CLI } from '../helpers/cli.js';

let browser: Browser;
let consoleApp: RunningConsole;
let dataDir: string;
const responses: string[] = [];
const secrets: string[] = [];
const user = { name: '', password: '' };

async function openPage(hash = ''): Promise<Page> {
  const page = await browser.newPage({
    viewport: { width: 1300, height: 1000 },
    acceptDownloads: true,
  });
  page.on('response', async (response) => {
    try {
      responses.push(
        `${response.url()} ${JSON.stringify(response.headers())} ${await response.text()}`,
      );
    } catch {
      // an event stream or a download: read elsewhere
    }
  });
  await page.goto(consoleApp.link);
  if (hash) await page.goto(`${consoleApp.url}/${hash}`);
  return page;
}

async function fillConnection(page: Page, password: string): Promise<void> {
  const server = dovecot();
  await page.fill('#field-server', server.host);
  await page.fill('#field-port', String(server.imapPort));
  await page.selectOption('#field-security', 'none');
  await page.fill('#field-username', user.name);
  await page.fill('#field-password', password);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the web console in Chromium', () => {
  beforeAll(async () => {
    Object.assign(user, freshUser('con'));
    secrets.push(user.password);
    await seedMailbox(dovecot(), user, {
      INBOX: [1, 2, 3].map((n) => ({
        source: `From: Ann <ann@example.com>\r\nTo: ${user.name}@example.com\r\nSubject: Console ${n}\r\nMessage-ID: <c${n}@example.com>\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\nHello ${n}\r\n`,
      })),
    });
    dataDir = tempDir('console-');
    consoleApp = await startConsole({ dataDir, env: {} });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await consoleApp?.close();
  });

  it('Test Connection shows the folder count; a wrong password AUTH_FAILED with its hint', async () => {
    const page = await openPage();
    await page.waitForSelector('#field-server');
    // The form is the manifest's: groups, required marks, the advanced settings folded.
    expect(await page.isVisible('#field-reconnectAttempts')).toBe(false);
    expect(await page.isVisible('#field-oauth2AccessToken')).toBe(false);
    await fillConnection(page, user.password);
    await page.click('#test-connection');
    await expect
      .poll(() => page.textContent('#test-result'), { timeout: 15_000 })
      .toMatch(/Folders: \d+/);
    await expect.poll(() => page.textContent('#validation-status')).toBe('The settings are valid.');
    await page.screenshot({ path: artifactPath('console-connections'), fullPage: true });

    const wrong = `${user.password}-wrong-sentinel`;
    secrets.push(wrong);
    await page.fill('#field-password', wrong);
    await page.click('#test-connection');
    await expect
      .poll(() => page.textContent('#test-result'), { timeout: 15_000 })
      .toMatch(/^AUTH_FAILED: /);
    expect(await page.textContent('#test-result')).toMatch(/Check the user name and password/);

    // Validation as you type, naming the field: a port out of range.
    await page.fill('#field-port', '70000');
    await expect.poll(() => page.textContent('[data-field="port"] .error')).toMatch(/65535/);
    await page.close();
  });

  it('Test Query and Preview; a saved connection keeps its password server-side only', async () => {
    const page = await openPage();
    await page.waitForSelector('#field-server');
    await fillConnection(page, user.password);
    await page.fill('#query', 'FOLDER INBOX SUBJECT "Console"');
    await page.click('#test-query');
    await expect
      .poll(() => page.textContent('#query-total'), { timeout: 15_000 })
      .toBe('3 matching messages');
    expect(await page.textContent('#query-result')).toMatch(/UID SEARCH/);
    await page.check('#field-changes');
    await page.click('#preview');
    await expect
      .poll(() => page.textContent('#preview-count'), { timeout: 15_000 })
      .toMatch(/^3 rows/);
    expect(await page.textContent('#query-result')).toContain('Console 2');

    // What the next scheduled run gets, with Changes on: another client flags message 1,
    // deletes message 2 and delivers a fourth; the preview from the first page's cursor shows
    // one row of each kind, and a second step from there shows nothing.
    await withImapClient(user, dovecot(), async (client) => {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
      await client.messageDelete('2', { uid: true });
      await client.append(
        'INBOX',
        'From: Bo <bo@example.com>\r\nSubject: Console 4\r\nMessage-ID: <c4@example.com>\r\n\r\nHi\r\n',
      );
    });
    await page.click('#preview-next');
    await expect
      .poll(() => page.textContent('#preview-count'), { timeout: 15_000 })
      .toBe('3 rows since the last page: 1 deleted, 1 flags changed, 1 new');
    const cells = await page.$$eval('#query-result tbody tr', (rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent).join('|')),
    );
    expect(cells).toEqual([
      'deleted|INBOX|2|||||',
      expect.stringMatching(/^flags changed\|INBOX\|1\|ann@example.com\|Console 1\|.*\\Flagged/),
      expect.stringMatching(/^new\|INBOX\|4\|bo@example.com\|Console 4\|/),
    ]);
    await page.screenshot({ path: artifactPath('console-preview-changes'), fullPage: true });
    await page.click('#preview-next');
    await expect
      .poll(() => page.textContent('#preview-count'), { timeout: 15_000 })
      .toBe('Nothing new or changed since the last page');

    await page.fill('#profile-name', 'mine');
    await page.click('#save');
    await expect.poll(() => page.textContent('#test-result')).toBe('Saved as mine.');
    const saved = join(dataDir, 'connections');
    expect(readFileSync(join(saved, 'mine.json'), 'utf8')).not.toContain(user.password);
    expect(readFileSync(join(saved, 'mine.password'), 'utf8')).toBe(user.password);
    expect(statSync(join(saved, 'mine.password')).mode & 0o077).toBe(0);
    // Loaded again: the password field stays empty, the stored one is used.
    const again = await openPage();
    await again.click('#profiles li >> text=mine');
    await expect.poll(() => again.inputValue('#field-username')).toBe(user.name);
    expect(await again.inputValue('#field-password')).toBe('');
    expect(await again.getAttribute('#field-password', 'placeholder')).toMatch(/stored/);
    await again.click('#test-connection');
    await expect
      .poll(() => again.textContent('#test-result'), { timeout: 15_000 })
      .toMatch(/Folders: \d+/);
    await page.close();
    await again.close();
  });

  describe('a batch and the archive', () => {
    let accounts: Account[];
    beforeAll(async () => {
      accounts = await seededAccounts(3, 'cb');
      secrets.push(...accounts.map((a) => a.password));
    });

    it('a three-mailbox batch from an uploaded CSV: preflight, start, watched to the end', async () => {
      const page = await openPage('#batches');
      await page.waitForSelector('#new-batch');
      const server = dovecot();
      await page.fill('#batch-name', 'three');
      // The source server from the connection saved earlier.
      await page.selectOption('#batch-source-saved', 'mine');
      await expect.poll(() => page.inputValue('#batch-source-port')).toBe(String(server.imapPort));
      expect(await page.inputValue('#batch-source-server')).toBe(server.host);
      expect(await page.inputValue('#batch-source-security')).toBe('none');
      await page.setInputFiles('#batch-csv', {
        name: 'mailboxes.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(accounts.map((a) => `${a.name},${a.password}`).join('\n')),
      });
      await page.click('#create-batch');
      await page.waitForSelector('#run-preflight');
      expect(await page.isDisabled('#start-batch')).toBe(true);
      await page.click('#run-preflight');
      await expect
        .poll(() => page.textContent('#preflight-summary'), { timeout: 20_000 })
        .toBe('3 of 3 mailboxes ready');
      expect(await page.isDisabled('#start-batch')).toBe(false);
      // A user reads the preflight table before pressing Start: the page's live status must
      // outlast the pause (issue 28: it ended after two events and Start did not reopen it).
      await page.waitForTimeout(4000);
      await page.click('#start-batch');
      await expect
        .poll(() => page.textContent('#batch-state'), { timeout: 60_000 })
        .toBe('last run done');
      const progress = await page.textContent('#progress');
      for (const account of accounts) expect(progress).toContain(account.name);
      expect((progress!.match(/done/g) ?? []).length).toBe(3);
      await page.screenshot({ path: artifactPath('console-batch'), fullPage: true });
      await page.click('#runs button');
      await expect.poll(() => page.textContent('#report')).toMatch(/run 1: DONE/);
      for (const account of accounts)
        expect(await page.textContent('#report')).toContain(account.name);
      expect(await page.textContent('#report')).not.toContain(accounts[0]!.password);
      await page.close();
      // As long as its polls may wait (20 s preflight, 60 s run): a loaded machine is slow, not wrong.
    }, 120_000);

    it('a single import of the saved connection into the archive: created, run and its result shown on the page', async () => {
      const page = await openPage('#batches');
      await page.waitForSelector('#new-import');
      await page.fill('#import-name', 'single');
      await expect.poll(() => page.textContent('#import-source')).toContain('mine');
      await page.selectOption('#import-source', 'mine');
      await page.selectOption('#import-destination', 'archive');
      await page.fill('#import-query', 'SUBJECT "Console"');
      await page.click('#create-import');
      await expect.poll(() => page.textContent('#new-import-result')).toBe('Created single.');
      await expect.poll(() => page.textContent('#imports-list')).toContain('not run yet');
      await page.click('#imports-list button >> text=Start');
      await expect
        .poll(() => page.textContent('#imports-list .import-state'), { timeout: 30_000 })
        .toBe('last run done: 3 copied, 0 dup., 0 failed');
      await page.click('#imports-list button >> text=Result');
      await expect.poll(() => page.textContent('#import-result')).toMatch(/^Run 1: done/);
      expect(await page.textContent('#import-result')).toContain('INBOX -> INBOX: 3 copied');
      await page.screenshot({ path: artifactPath('console-imports'), fullPage: true });
      await page.close();
    }, 60_000);

    it('follows a run started from the command line while the page is open, also after a reload mid-run', async () => {
      const name = 'slow';
      const dir = join(dataDir, 'batches', name);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(
        join(dir, 'mailboxes.csv'),
        accounts.map((a) => `${a.name},${a.password}`).join('\n'),
      );
      const server = dovecot();
      writeFileSync(
        join(dir, 'profile.json'),
        JSON.stringify({
          name,
          source: { server: server.host, port: server.imapPort, security: 'none' },
          destination: { archive: 'slow.archive' },
          mailboxes: { csv: 'mailboxes.csv' },
          // Slow enough to reload the page mid-run: every message 0.3 s apart, one mailbox at a time.
          throttle: { parallelMailboxes: 1, delayBetweenMessages: 0.3 },
        }),
      );
      const page = await openPage(`#batches/${name}`);
      await expect.poll(() => page.textContent('#batch-state')).toBe('not run yet');
      await page.waitForTimeout(2500);
      const cli = spawn(process.execPath, [CLI, 'batch', 'run', join(dir, 'profile.json')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      cli.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
      try {
        await expect
          .poll(() => page.textContent('#batch-state'), { timeout: 20_000 })
          .toBe('running (started elsewhere: stop it there)');
        expect(await page.isDisabled('#stop-batch')).toBe(true);
        await page.reload();
        await expect
          .poll(() => page.textContent('#batch-state'), { timeout: 20_000 })
          .toMatch(/^running/);
        expect(await exited, output).toBe(0);
        await expect
          .poll(() => page.textContent('#batch-state'), { timeout: 10_000 })
          .toBe('last run done');
        expect(((await page.textContent('#progress'))!.match(/done/g) ?? []).length).toBe(3);
        // Stopped from the page: it says how to go on.
        writeFileSync(
          join(dir, 'profile.json'),
          JSON.stringify({
            ...JSON.parse(readFileSync(join(dir, 'profile.json'), 'utf8')),
            destination: { archive: 'halt.archive' },
          }),
        );
        await page.click('#run-preflight');
        await expect
          .poll(() => page.textContent('#preflight-summary'), { timeout: 20_000 })
          .toBe('3 of 3 mailboxes ready');
        await page.click('#start-batch');
        await expect.poll(() => page.textContent('#batch-state')).toBe('running');
        await page.click('#stop-batch');
        await expect
          .poll(() => page.textContent('#batch-state'), { timeout: 20_000 })
          .toBe('stopped before the end: Start continues it');
        expect(await page.isDisabled('#start-batch')).toBe(false);
        // A corrected list replaces the old one (checked at once); then Preflight again.
        await page.setInputFiles('#replace-csv-file', {
          name: 'fixed.csv',
          mimeType: 'text/csv',
          buffer: Buffer.from(accounts.map((a) => `${a.name},${a.password}`).join('\n')),
        });
        await page.click('#replace-csv');
        await expect
          .poll(() => page.textContent('#replace-csv-result'))
          .toBe('The list now has 3 mailboxes; run Preflight before Start.');
        expect(await page.isDisabled('#start-batch')).toBe(true);
        // Deleted from the page, after saying what goes.
        await page.click('#delete-batch');
        expect(await page.textContent('#confirm-delete')).toMatch(/state, reports and its archive/);
        await page.click('#confirm-delete-yes');
        await expect.poll(() => new URL(page.url()).hash).toBe('#batches');
        await expect.poll(() => page.textContent('#main')).toContain('three');
        expect(await page.textContent('#main')).not.toContain(name);
        expect(existsSync(dir)).toBe(false);
      } finally {
        if (cli.exitCode === null) cli.kill('SIGKILL');
        await page.close();
      }
    }, 120_000);

    it('search the archive and download an .eml with the exact bytes of the source', async () => {
      const page = await openPage('#archive');
      await page.waitForSelector('#search');
      await page.screenshot({ path: artifactPath('console-archive'), fullPage: true });
      const account = accounts[1]!;
      await page.fill('#search-subject', `${account.name} inbox 1`);
      await page.click('#search-button');
      await expect
        .poll(() => page.textContent('#search-count'), { timeout: 15_000 })
        .toMatch(/^1 messages/);
      await page.click('#search-results tbody tr');
      await page.waitForSelector('#download-eml');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('#download-eml'),
      ]);
      const bytes = readFileSync((await download.path())!);
      const source = await withImapClient(account, dovecot(), async (client) => {
        const lock = await client.getMailboxLock('INBOX');
        try {
          const found = await client.search({ subject: `${account.name} inbox 1` }, { uid: true });
          const uid = (found as number[])[0]!;
          const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
          return (message as { source: Buffer }).source;
        } finally {
          lock.release();
        }
      });
      expect(bytes.equals(source)).toBe(true);
      await page.screenshot({ path: artifactPath('console-message'), fullPage: true });
      await page.close();
    });
  });

  it('refuses a request without the token and a cross-site POST', async () => {
    // These requests go to the real console: msw (HTTP mocks for token endpoints) lets them by.
    mswServer.use(http.all(`${consoleApp.url}/*`, () => passthrough()));
    expect((await fetch(`${consoleApp.url}/api/connections`)).status).toBe(401);
    expect((await fetch(`${consoleApp.url}/api/session`)).status).toBe(401);
    const bearer = { authorization: `Bearer ${consoleApp.token}` };
    // With the token but from another origin, or without the page's CSRF token: 403.
    const evil = await fetch(`${consoleApp.url}/api/connections/x`, {
      method: 'DELETE',
      headers: { ...bearer, origin: 'http://127.0.0.1:1' },
    });
    expect(evil.status).toBe(403);
    const tokenless = await fetch(`${consoleApp.url}/api/connections/x`, {
      method: 'DELETE',
      headers: bearer,
    });
    expect(tokenless.status).toBe(403);

    // A page of another site posting a form to the console, in the same browser that has
    // the console open: refused, and nothing is started.
    const attacker: Server = createServer((_, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form id="f" method="POST" action="${consoleApp.url}/api/batches/three/start"></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const page = await openPage();
      const port = (attacker.address() as { port: number }).port;
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/batches/three/start'));
      await page.goto(`http://127.0.0.1:${port}/`);
      expect([401, 403]).toContain((await answer).status());
      await page.close();
    } finally {
      attacker.close();
    }
    const batch = await fetch(`${consoleApp.url}/api/batches/three`, { headers: bearer });
    expect(((await batch.json()) as { runs: unknown[] }).runs).toHaveLength(1);
  });

  it('keeps the token from every other port of 127.0.0.1, and two consoles do not log each other out', async () => {
    const seen: string[] = [];
    const other: Server = createServer((req, res) => {
      seen.push(JSON.stringify(req.headers));
      res.end('another local service');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const second = await startConsole({ dataDir: tempDir('console-2-'), env: {} });
    mswServer.use(http.all(`${second.url}/*`, () => passthrough()));
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(consoleApp.link);
      await page.waitForSelector('#test-connection');
      expect(await context.cookies()).toEqual([]);
      const port = (other.address() as { port: number }).port;
      await page.goto(`http://127.0.0.1:${port}/`);
      expect(seen.join('\n')).not.toContain(consoleApp.token);
      expect(seen.join('\n')).not.toMatch(/cookie/i);
      // A second console in another tab of the same browser; the first still answers its page.
      const tab = await context.newPage();
      await tab.goto(second.link);
      await tab.waitForSelector('#test-connection');
      await page.goto(consoleApp.link);
      await page.goto(`${consoleApp.url}/#batches`);
      await page.waitForSelector('#new-batch');
      expect(await page.locator('#no-token').count()).toBe(0);
      await tab.close();
      await page.close();
    } finally {
      await context.close();
      other.close();
      await second.close();
    }
  });

  it('refuses a foreign Host (DNS rebinding), a forged or expired signed link, and never lets API answers be cached', async () => {
    mswServer.use(http.all(`${consoleApp.url}/*`, () => passthrough()));
    const status = (host: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const request = httpRequest(
          `${consoleApp.url}/api/session`,
          { headers: { host, authorization: `Bearer ${consoleApp.token}` } },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on('error', reject);
        request.end();
      });
    const port = new URL(consoleApp.url).port;
    expect(await status(`rebound.example:${port}`)).toBe(421);
    expect(await status(`localhost:${port}`)).toBe(200);
    expect(await status(`127.0.0.1:${port}`)).toBe(200);
    const bearer = { authorization: `Bearer ${consoleApp.token}` };
    const csrf = (await (
      await fetch(`${consoleApp.url}/api/session`, { headers: bearer })
    ).json()) as {
      csrfToken: string;
    };
    const linked = (await (
      await fetch(`${consoleApp.url}/api/links`, {
        method: 'POST',
        headers: { ...bearer, 'x-csrf-token': csrf.csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify({ path: '/api/batches' }),
      })
    ).json()) as { url: string };
    const good = await fetch(`${consoleApp.url}${linked.url}`);
    expect(good.status).toBe(200);
    expect(good.headers.get('cache-control')).toBe('no-store');
    expect(
      (await fetch(`${consoleApp.url}${linked.url.replace('/api/batches', '/api/connections')}`))
        .status,
    ).toBe(401);
    const forged = linked.url.replace(/sig=[^&]+/, 'sig=AAAA');
    expect((await fetch(`${consoleApp.url}${forged}`)).status).toBe(401);
    const expired = linked.url.replace(/exp=\d+/, `exp=${Math.floor(Date.now() / 1000) - 5}`);
    expect((await fetch(`${consoleApp.url}${expired}`)).status).toBe(401);
  });

  it("no password in any page or response, nor in the console's files but its owner-only secrets and mailbox list", () => {
    expect(responses.length).toBeGreaterThan(20);
    for (const secret of secrets)
      for (const response of responses) expect(response).not.toContain(secret);
    const files = filesUnder(dataDir).filter((path) => !/\.password$|mailboxes\.csv$/.test(path));
    expect(files.length).toBeGreaterThan(3);
    for (const path of files) {
      const text = readFileSync(path).toString('latin1');
      for (const secret of secrets) expect(text, path).not.toContain(secret);
    }
  });
});
