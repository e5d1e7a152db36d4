/**
 * A real Node-RED (from the Node-RED package's node_modules) in its own process: a private user
 * directory with settings.js (127.0.0.1 on a free port, admin login with an admin and a read-only
 * user, a file-backed context store, no telemetry or update checks), the connector's node package
 * linked into it as npm would install it, the admin API for deploying flows and pressing inject
 * buttons. Stopped by PID; the user directory survives a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, symlinkSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, LOOPBACK } from './dovecot.js';
import { NODE_RED_PACKAGE, requireFromPackage } from './node-red-package.js';

export interface EditorUser {
  username: string;
  password: string;
  /** The scope a login asks for: no more than the user's permissions. */
  scope: string;
}

export const ADMIN: EditorUser = { username: 'admin', password: 'admin-editor-pw', scope: '*' };
export const VIEWER: EditorUser = {
  username: 'viewer',
  password: 'viewer-editor-pw',
  scope: 'read',
};

export interface NodeRedServer {
  url: string;
  userDir: string;
  pid: number;
  /** What Node-RED printed (its log). */
  output(): string;
  token(user: EditorUser): Promise<string>;
  /** POST/GET on the admin API as the admin. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** Presses an inject node's button; waits for the flows to have started (404 until then). */
  inject(id: string): Promise<void>;
  stop(): Promise<void>;
}

function writeSettings(userDir: string, port: number): void {
  const require = requireFromPackage();
  const bcrypt = require('bcryptjs') as { hashSync(text: string, rounds: number): string };
  const settings = {
    uiHost: LOOPBACK,
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: 'node-red-test-credential-secret',
    adminAuth: {
      type: 'credentials',
      users: [
        {
          username: ADMIN.username,
          password: bcrypt.hashSync(ADMIN.password, 4),
          permissions: '*',
        },
        {
          username: VIEWER.username,
          password: bcrypt.hashSync(VIEWER.password, 4),
          permissions: 'read',
        },
      ],
    },
    contextStorage: { default: { module: 'localfilesystem' } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    telemetry: { enabled: false },
    diagnostics: { enabled: false, ui: false },
    editorTheme: {
      tours: false,
      projects: { enabled: false },
      palette: { catalogues: [] },
    },
  };
  writeFileSync(
    join(userDir, 'settings.js'),
    `module.exports = ${JSON.stringify(settings, null, 2)};\n`,
  );
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`Node-RED exited (${child.exitCode}):\n${output()}`);
    try {
      const response = await fetch(`${url}/settings`);
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Node-RED did not start in 60 s:\n${output()}`);
}

/**
 * Starts Node-RED on `userDir`. Without the nodes installed there (`installPacked` installs the
 * packed tarballs as a user does), the package directory is linked in.
 */
export async function startNodeRed(userDir: string): Promise<NodeRedServer> {
  const require = requireFromPackage();
  mkdirSync(join(userDir, 'node_modules'), { recursive: true });
  const link = join(userDir, 'node_modules', 'node-red-contrib-imap-connector');
  if (!existsSync(link)) symlinkSync(NODE_RED_PACKAGE, link, 'dir');
  const port = await freePort();
  writeSettings(userDir, port);
  const url = `http://${LOOPBACK}:${port}`;
  const red = join(require.resolve('node-red/package.json'), '..', 'red.js');
  const child = spawn(
    process.execPath,
    [red, '--userDir', userDir, '--settings', join(userDir, 'settings.js')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    },
  );
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const output = () => log;
  try {
    await waitReady(url, child, output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const tokens = new Map<string, string>();
  const token = async (user: EditorUser): Promise<string> => {
    const known = tokens.get(user.username);
    if (known) return known;
    const response = await fetch(`${url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: 'node-red-admin',
        grant_type: 'password',
        ...user,
      }),
    });
    if (!response.ok) throw new Error(`login as ${user.username}: ${response.status}`);
    const value = ((await response.json()) as { access_token: string }).access_token;
    tokens.set(user.username, value);
    return value;
  };
  return {
    url,
    userDir,
    pid: child.pid!,
    output,
    token,
    admin: async (method, path, body) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await token(ADMIN)}`,
          'content-type': 'application/json',
          'node-red-deployment-type': 'full',
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    inject: async (id) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const response = await fetch(`${url}/inject/${id}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await token(ADMIN)}` },
        });
        if (response.status === 200) return;
        if (response.status !== 404 || Date.now() > deadline)
          throw new Error(`inject ${id}: ${response.status}\n${log}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        process.kill(child.pid!, 'SIGTERM');
      }),
  };
}
