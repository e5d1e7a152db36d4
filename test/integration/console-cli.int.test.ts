/**
 * `imap-connector console` as a person starts it: a link with the token on stdout, loopback
 * only unless --allow-remote says otherwise, and Ctrl-C / SIGTERM stopping it.
 */
import { spawn } from 'node:child_process';
import { http, passthrough } from 'msw';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { CLI } from '../helpers/cli.js';
import { mswServer } from '../helpers/msw-server.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('imap-connector console', () => {
  it('refuses a non-loopback address without --allow-remote, before listening', async () => {
    const io = captureIo();
    expect(await main(['console', '--listen', '0.0.0.0', '--data', tempDir()], io)).toBe(2);
    expect(io.err()).toMatch(/--listen.*not a loopback address.*--allow-remote/);
    expect(io.out()).toBe('');
  });

  it('prints a link with the token, answers only with it, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'console', '--data', tempDir()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const link = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const found = /Console: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43})\n/.exec(
            out,
          );
          if (found) resolve(found[1]!);
        });
        child.once('exit', () => reject(new Error(`exited early: ${out}`)));
      });
      const url = new URL(link);
      mswServer.use(http.all(`${url.origin}/*`, () => passthrough()));
      // The page holds no data and loads without the token; the API answers only with it, and
      // the token never becomes a cookie (other services on 127.0.0.1 would receive it).
      const page = await fetch(link);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script type="module" src="/static/app.js">');
      expect(page.headers.get('set-cookie')).toBeNull();
      expect((await fetch(`${url.origin}/api/session`)).status).toBe(401);
      const session = await fetch(`${url.origin}/api/session`, {
        headers: { authorization: `Bearer ${url.searchParams.get('token')}` },
      });
      expect(session.status).toBe(200);
      expect(session.headers.get('cache-control')).toBe('no-store');
      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code) => resolve(code)),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
