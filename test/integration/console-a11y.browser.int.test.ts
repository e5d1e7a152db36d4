/**
 * The console for keyboard and screen-reader users (issue 28): axe-core on every page and
 * state the other browser tests visit (connections with advanced settings open and a Test
 * Connection result, saved connections, batches, the new-batch form, a batch's page with its
 * settings after preflight,
 * the archive with search results and a message), at 800 and 1280 px wide: no serious or
 * critical violation. Then the same paths by keyboard alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, passthrough } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { runImport } from '../../src/index.js';
import { startConsole, type RunningConsole } from '../../src/console/console-server.js';
import { axeCheck, type AxeResult } from '../helpers/axe.js';
import { seededAccounts } from '../helpers/batch-fixtures.js';
import { artifactPath, launchChromium } from '../helpers/chromium.js';
import { dovecot, makeConfig } from '../helpers/make-config.js';
import { mswServer } from '../helpers/msw-server.js';
import { tempDir } from '../helpers/temp-dir.js';

let browser: Browser;
let app: RunningConsole;
const found: Record<string, AxeResult> = {};

async function check(page: Page, state: string): Promise<void> {
  found[state] = await axeCheck(page);
  // Each page as the note shows it (docs/images takes the wide ones).
  await page.screenshot({
    path: artifactPath(`console-${state.replace(/ /g, '-')}`),
    fullPage: true,
  });
  // axe ran its rules on this page: a check that looked at nothing cannot pass.
  expect(found[state]!.passedRules, state).toBeGreaterThan(10);
}

describe('the console for everyone', () => {
  let account: { name: string; password: string };
  beforeAll(async () => {
    account = (await seededAccounts(1, 'ax'))[0]!;
    const dir = tempDir('console-a11y-');
    const archive = join(dir, 'mail.archive');
    await runImport(makeConfig(account), { destination: { archive } });
    // A batch of this one mailbox, as the New batch form writes it, for the batch's own page.
    const batchDir = join(dir, 'batches', 'ax');
    mkdirSync(batchDir, { recursive: true });
    const { host, imapPort } = dovecot();
    writeFileSync(join(batchDir, 'mailboxes.csv'), `${account.name},${account.password}\n`);
    writeFileSync(
      join(batchDir, 'profile.json'),
      JSON.stringify({
        name: 'ax',
        source: { server: host, port: imapPort, security: 'none' },
        destination: { archive: 'mail.archive' },
        mailboxes: { csv: 'mailboxes.csv' },
        preflight: { onFailure: 'continue' },
      }),
    );
    // A saved connection and a single import of it, for the imports table.
    mkdirSync(join(dir, 'connections'));
    writeFileSync(
      join(dir, 'connections', 'ax.json'),
      JSON.stringify({ server: host, port: imapPort, security: 'none', username: account.name }),
    );
    mkdirSync(join(dir, 'imports', 'one'), { recursive: true });
    writeFileSync(
      join(dir, 'imports', 'one', 'import.json'),
      JSON.stringify({ name: 'one', source: 'ax', destination: { archive: true } }),
    );
    app = await startConsole({ dataDir: dir, env: {}, archives: [archive] });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  for (const width of [800, 1280])
    it(`has no serious or critical axe violation on any page at ${width} px`, async () => {
      mswServer.use(http.all(`${app.url}/*`, () => passthrough()));
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      try {
        await page.goto(app.link);
        await page.waitForSelector('#test-connection');
        await check(page, `${width} connections`);
        const server = dovecot();
        await page.fill('#field-server', server.host);
        await page.fill('#field-port', String(server.imapPort));
        await page.selectOption('#field-security', 'none');
        await page.fill('#field-username', account.name);
        await page.fill('#field-password', account.password);
        await page.click('#test-connection');
        await expect
          .poll(() => page.textContent('#test-result'), { timeout: 15_000 })
          .toMatch(/Folders/);
        await check(page, `${width} connections tested`);
        await page.goto(`${app.url}/#batches`);
        await page.waitForSelector('#new-batch');
        await page.waitForSelector('#imports-list table');
        await check(page, `${width} batches`);
        await page.goto(`${app.url}/#batches/ax`);
        await page.waitForSelector('#batch-settings');
        await page.click('#run-preflight');
        await page.waitForSelector('#preflight-summary');
        await check(page, `${width} batch after preflight`);
        await page.goto(`${app.url}/#archive`);
        await page.waitForSelector('#search');
        await check(page, `${width} archive`);
        await page.click('#search-button');
        await page.waitForSelector('#search-results tbody tr');
        await check(page, `${width} archive results`);
        await page.click('#search-results tbody tr');
        await page.waitForSelector('#message-subject');
        await check(page, `${width} message`);
        await page.screenshot({ path: artifactPath(`console-a11y-${width}`), fullPage: true });
      } finally {
        await page.close();
      }
      writeFileSync(
        artifactPath(`axe-${width}`).replace(/\.png$/, '.json'),
        JSON.stringify(found, null, 2),
      );
      const problems = Object.entries(found)
        .filter(([state, result]) => state.startsWith(String(width)) && result.serious.length > 0)
        .map(([state, result]) => [state, result.serious]);
      expect(problems).toEqual([]);
    }, 90_000);

  it('works by keyboard alone: advanced settings, a search result, the message it opens', async () => {
    mswServer.use(http.all(`${app.url}/*`, () => passthrough()));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(app.link);
      await page.waitForSelector('#test-connection');
      // Tab until the first "Show advanced settings" has the focus, then Enter opens it.
      let reached = false;
      for (let i = 0; i < 40 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached =
          (await page.evaluate(() => (globalThis as any).document.activeElement?.textContent)) ===
          'Show advanced settings';
      }
      expect(reached).toBe(true);
      await page.keyboard.press('Enter');
      expect(
        await page.evaluate(() => (globalThis as any).document.activeElement?.textContent),
      ).toBe('Hide advanced settings');
      expect(await page.locator('[data-advanced]:not(.hidden)').count()).toBe(1);
      await page.goto(`${app.url}/#archive`);
      await page.waitForSelector('#search');
      await page.focus('#search-subject');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#search-results tbody tr');
      await page.focus('#search-results tbody tr');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#message-subject');
      expect(await page.textContent('#message-subject')).not.toBe('');
      // The message opens where the user looks: the focus is on its heading, in view.
      await expect
        .poll(() => page.evaluate(() => (globalThis as any).document.activeElement?.id))
        .toBe('message-subject');
      expect(await page.locator('#message-subject').isVisible()).toBe(true);
    } finally {
      await page.close();
    }
  });
});
