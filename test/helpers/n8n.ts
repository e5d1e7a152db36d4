/**
 * A real n8n 2.40.7 (scripts/install-n8n.sh installs it from the npm registry into the hosts
 * cache), run headless with a private user folder: the CLI (import:credentials,
 * import:workflow, execute) and the server on a free loopback port for its REST API. n8n
 * loads community node packages from `<user folder>/.n8n/nodes/node_modules`. Stopped by PID.
 * n8n needs Node 22 or newer: on an older Node these tests fail saying so.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, freePorts, LOOPBACK } from './dovecot.js';
import { hostsDir, runHost, type Run } from './hosts.js';

export function n8nBin(): string {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22)
    throw new Error(
      `n8n needs Node 22 or newer; this is Node ${process.versions.node}. Run npm run test:hosts on Node 24 (.ci/run does).`,
    );
  const dir = join(hostsDir(), 'n8n');
  if (!existsSync(join(dir, '.installed')))
    throw new Error(
      `n8n is not installed in ${dir}: run scripts/install-n8n.sh (npm run test:hosts does).`,
    );
  return join(dir, 'node_modules', 'n8n', 'bin', 'n8n');
}

export interface N8n {
  /** The user folder (N8N_USER_FOLDER); n8n keeps its data in `.n8n` under it. */
  folder: string;
  /** Where community node packages are installed. */
  nodesDir: string;
  env: Record<string, string>;
  /** Runs an n8n CLI command to its end. */
  cli(args: string[]): Promise<Run>;
}

/** An n8n user folder with its settings as environment variables; nothing runs yet. */
export function n8nFolder(folder: string, port = 0): N8n {
  const nodesDir = join(folder, '.n8n', 'nodes');
  mkdirSync(nodesDir, { recursive: true });
  const env: Record<string, string> = {
    N8N_USER_FOLDER: folder,
    N8N_LISTEN_ADDRESS: LOOPBACK,
    N8N_HOST: LOOPBACK,
    N8N_PORT: String(port),
    DB_TYPE: 'sqlite',
    N8N_ENCRYPTION_KEY: 'n8n-host-test-encryption-key',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_SECURE_COOKIE: 'false',
    N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
    // vitest sets NODE_ENV=test, in which n8n's commands do nothing.
    NODE_ENV: 'production',
  };
  const bin = n8nBin();
  return {
    folder,
    nodesDir,
    env,
    cli: async (args) =>
      runHost(process.execPath, [bin, ...args], {
        env: { ...env, N8N_RUNNERS_BROKER_PORT: String(await freePort()) },
        timeoutMs: 180_000,
      }),
  };
}

export interface N8nServer {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `n8n start` on a free loopback port; ready once /healthz/readiness answers 200. */
export async function startN8n(n8n: N8n): Promise<N8nServer> {
  const [port, broker] = await freePorts(2);
  const env = {
    ...process.env,
    ...n8n.env,
    N8N_PORT: String(port),
    // Its task runners' broker listens too (5679 unless told): a free port of its own.
    N8N_RUNNERS_BROKER_PORT: String(broker),
  };
  const child = spawn(process.execPath, [n8nBin(), 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const url = `http://${LOOPBACK}:${port}`;
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      process.kill(child.pid!, 'SIGTERM');
    });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`n8n exited (${child.exitCode}):\n${log}`);
    try {
      if ((await fetch(`${url}/healthz/readiness`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`n8n was not ready in 120 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, output: () => log, stop };
}
