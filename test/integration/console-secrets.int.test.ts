/**
 * A saved connection's password goes only where it was saved for (issue 28): Test Connection
 * with the saved profile and another server, port or user is refused before any connection
 * (a listener on another port counts the connections it gets), and works again once the
 * password is typed; with the saved server it is used as before.
 */
import { createServer, type Server } from 'node:net';
import { http, passthrough } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole, type RunningConsole } from '../../src/console/console-server.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { mswServer } from '../helpers/msw-server.js';
import { seedMailbox } from '../helpers/seed.js';
import { message } from '../helpers/corpus.js';
import { tempDir } from '../helpers/temp-dir.js';

let app: RunningConsole;
let csrf = '';

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; data: any }> {
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${app.token}`,
      'x-csrf-token': csrf,
      'content-type': 'application/json',
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, data: await response.json() };
}

describe('stored secrets in the console', () => {
  const user = freshUser('cs');
  let elsewhere: Server;
  let connections = 0;
  beforeAll(async () => {
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('Secret test') }] });
    app = await startConsole({ dataDir: tempDir('console-secrets-'), env: {} });
    mswServer.use(http.all(`${app.url}/*`, () => passthrough()));
    csrf = (await call('GET', '/api/session')).data.csrfToken;
    elsewhere = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    elsewhere?.close();
    await app?.close();
  });

  it('uses the stored password only with the server, port and user it was saved with', async () => {
    mswServer.use(http.all(`${app.url}/*`, () => passthrough()));
    const saved = {
      server: '127.0.0.1',
      port: dovecot().imapPort,
      security: 'none',
      username: user.name,
      password: user.password,
    };
    expect((await call('PUT', '/api/connections/mine', { config: saved })).status).toBe(200);
    const without = { ...saved, password: '' };
    const same = await call('POST', '/api/connections/test', { config: without, profile: 'mine' });
    expect(same.data).toMatchObject({ ok: true });
    const otherPort = (elsewhere.address() as { port: number }).port;
    for (const changed of [
      { port: otherPort },
      { server: 'localhost', port: otherPort },
      { username: 'someone-else' },
    ]) {
      const answer = await call('POST', '/api/connections/test', {
        config: { ...without, ...changed },
        profile: 'mine',
      });
      expect(answer.status, JSON.stringify(changed)).toBe(400);
      expect(answer.data.error).toMatchObject({ code: 'CONFIG_INVALID' });
      expect(JSON.stringify(answer.data)).toMatch(/stored password is used only with the/);
      expect(JSON.stringify(answer.data)).not.toContain(user.password);
    }
    expect(connections).toBe(0);
    // Typed again, it goes where the user says.
    const typed = await call('POST', '/api/connections/test', {
      config: { ...saved, port: otherPort },
      profile: 'mine',
    });
    expect(typed.data).toMatchObject({ ok: false });
    expect(connections).toBe(1);
    // Re-saving with another server also needs the password typed again.
    const resaved = await call('PUT', '/api/connections/mine', {
      config: { ...without, server: 'localhost' },
    });
    expect(resaved.status).toBe(400);
  });

  it("refuses a preview cursor that is not the server's, before any connection", async () => {
    mswServer.use(http.all(`${app.url}/*`, () => passthrough()));
    const before = connections;
    const port = (elsewhere.address() as { port: number }).port;
    const config = { server: '127.0.0.1', port, security: 'none', username: 'x', password: 'y' };
    const forged = await call('POST', '/api/connections/preview', { config, cursor: 'e30' });
    expect(forged.data.error.code).toBe('CURSOR_INVALID');
    const wrongType = await call('POST', '/api/connections/preview', { config, cursor: 7 });
    expect(wrongType.data.error.code).toBe('CONFIG_INVALID');
    expect(JSON.stringify(wrongType.data.error)).toContain('/cursor');
    expect(connections).toBe(before);
  });
});
