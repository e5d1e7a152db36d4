/**
 * The connector's nodes installed (npm pack of both packages, npm install of both tarballs in the
 * user directory) in a real Node-RED process (settings.js with an admin login and
 * a file-backed context store) and its editor in Debian's Chromium:
 * - an inject -> imap read -> file flow deployed through the admin API pulls the mailbox, and
 *   after a restart of Node-RED pulls only new mail (the cursor is in the context store);
 * - the password is in neither flows.json nor, in clear, flows_cred.json, nor Node-RED's log;
 * - the Test Connection endpoint answers only a logged-in user allowed to change connections;
 * - in the editor: log in, open the read node, open its connection, press Test Connection and see
 *   the folder count (and AUTH_FAILED with its hint for a wrong password); screenshots kept.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { artifactPath, launchChromium } from '../helpers/chromium.js';
import { numberedMail, subjects } from '../helpers/host-mail.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { ADMIN, VIEWER, startNodeRed, type NodeRedServer } from '../helpers/node-red-server.js';
import { installPacked } from '../helpers/packed-install.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const user = { name: '', password: '' };
let server: NodeRedServer;
let logs = '';
let userDir: string;
let outFile: string;

function flow(): Record<string, unknown>[] {
  const imap = dovecot();
  return [
    { id: 'tab1', type: 'tab', label: 'Mail' },
    {
      id: 'conn1',
      type: 'imap-connection',
      name: 'Dovecot',
      server: imap.host,
      port: String(imap.imapPort),
      security: 'none',
      authMethod: 'password',
      username: user.name,
      timeout: '10000',
      credentials: { password: user.password },
    },
    {
      id: 'tick',
      type: 'inject',
      z: 'tab1',
      name: 'every 5 minutes',
      repeat: '',
      once: false,
      props: [],
      x: 120,
      y: 80,
      wires: [['read1']],
    },
    {
      id: 'read1',
      type: 'imap-read',
      z: 'tab1',
      name: 'new mail',
      connection: 'conn1',
      query: 'ALL',
      mode: 'all',
      output: 'row',
      x: 320,
      y: 80,
      wires: [['subject1']],
    },
    {
      id: 'subject1',
      type: 'function',
      z: 'tab1',
      name: 'subject',
      func: 'msg.payload = msg.payload.subject; return msg;',
      outputs: 1,
      x: 500,
      y: 80,
      wires: [['file1']],
    },
    {
      id: 'file1',
      type: 'file',
      z: 'tab1',
      name: 'rows',
      filename: outFile,
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'none',
      x: 680,
      y: 80,
      wires: [],
    },
  ];
}

function linesOf(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

async function waitForLines(path: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const lines = linesOf(path);
    if (lines.length >= count) return lines;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${path} has ${linesOf(path).length} of ${count} lines:\n${server.output()}`);
}

async function restart(): Promise<void> {
  logs += server.output();
  await server.stop();
  server = await startNodeRed(userDir);
}

describe('the nodes in a real Node-RED and its editor', () => {
  beforeAll(async () => {
    Object.assign(user, freshUser('nre'));
    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 1, 3) });
    userDir = tempDir('node-red-');
    outFile = join(userDir, 'out', 'rows.txt');
    // As a user installs them: the tarballs npm pack makes, side by side in the user directory.
    await installPacked(userDir);
    server = await startNodeRed(userDir);
    expect(realpathSync(join(userDir, 'node_modules', 'node-red-contrib-imap-connector'))).toBe(
      join(realpathSync(userDir), 'node_modules', 'node-red-contrib-imap-connector'),
    );
    const deployed = await server.admin('POST', '/flows', flow());
    expect(deployed.status, await deployed.text()).toBe(204);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('an inject pulls the mailbox; after a restart of Node-RED it pulls only new mail', async () => {
    await server.inject('tick');
    expect(await waitForLines(outFile, 3)).toEqual(subjects('INBOX', 1, 3));

    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 4, 2) });
    await restart();
    await server.inject('tick');
    expect(await waitForLines(outFile, 5)).toEqual(subjects('INBOX', 1, 5));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(linesOf(outFile)).toHaveLength(5);
  });

  it('keeps the password out of the flow file, the credentials file in clear and the log', async () => {
    const flows = readFileSync(join(userDir, 'flows.json'), 'utf8');
    expect(flows).toContain('imap-connection');
    expect(flows).not.toContain(user.password);
    expect(readFileSync(join(userDir, 'flows_cred.json'), 'utf8')).not.toContain(user.password);
    expect(logs + server.output()).not.toContain(user.password);
    // The editor gets has_password, never the password.
    const credentials = await server.admin('GET', '/credentials/imap-connection/conn1');
    const shown = (await credentials.json()) as Record<string, unknown>;
    expect(shown.has_password).toBe(true);
    expect(Object.values(shown).every((value) => typeof value === 'boolean')).toBe(true);
  });

  it('Test Connection answers only users allowed to change connections', async () => {
    const body = JSON.stringify({
      id: 'conn1',
      settings: { server: '127.0.0.1' },
      credentials: {},
    });
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/imap-connector/test-connection`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    expect((await post({})).status).toBe(401);
    // The read-only user is logged in (the flows are hers to see) but may not test connections:
    // Node-RED answers a missing permission with 401 too.
    const viewer = { authorization: `Bearer ${await server.token(VIEWER)}` };
    expect((await fetch(`${server.url}/flows`, { headers: viewer })).status).toBe(200);
    expect((await post(viewer)).status).toBe(401);
    const admin = { authorization: `Bearer ${await server.token(ADMIN)}` };
    const answer = await post(admin);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ ok: false, code: 'CONFIG_INVALID' });
  });

  describe('in the editor (Chromium)', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('log in, open the connection of the read node, press Test Connection: the folder count', async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(server.url);
      await page.fill('#node-dialog-login-username', ADMIN.username);
      await page.fill('#node-dialog-login-password', ADMIN.password);
      await page.click('#node-dialog-login-submit');
      // The read node on the canvas, opened as a user does: a double click.
      const readNode = page.locator('[id="read1"]');
      await readNode.waitFor({ timeout: 30_000 });
      await readNode.dblclick();
      await page.click('#node-input-btn-connection-edit');
      const button = page.locator('#imap-connector-test-connection');
      await button.waitFor();
      // The stored password is a placeholder in the form, never the password.
      expect(await page.inputValue('#node-config-input-password')).not.toBe(user.password);
      await button.click();
      const result = page.locator('#imap-connector-test-result');
      await expect.poll(() => result.textContent(), { timeout: 20_000 }).toMatch(/Folders: \d+/);
      const folders = Number(/Folders: (\d+)/.exec((await result.textContent())!)![1]);
      expect(folders).toBeGreaterThanOrEqual(1);
      await result.scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifactPath('node-red-test-connection') });

      await page.fill('#node-config-input-password', `${user.password}-wrong-sentinel`);
      await button.click();
      await expect.poll(() => result.textContent(), { timeout: 20_000 }).toMatch(/^AUTH_FAILED: /);
      expect(await result.textContent()).toMatch(/Check the user name and password/);
      await result.scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifactPath('node-red-test-connection-auth-failed') });
      // The dialog's advanced settings fold: the timeout field is hidden until asked for.
      expect(await page.isVisible('#node-config-input-reconnectAttempts')).toBe(false);
      // Fields of another login method are hidden: OAuth2 tokens with the password method.
      expect(await page.isVisible('#node-config-input-oauth2AccessToken')).toBe(false);
      await page.selectOption('#node-config-input-authMethod', 'oauth2');
      expect(await page.isVisible('#node-config-input-oauth2AccessToken')).toBe(true);
      expect(await page.isVisible('#node-config-input-password')).toBe(false);
      await page.close();
    });
  });
});
