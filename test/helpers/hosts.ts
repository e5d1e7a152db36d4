/**
 * The real hosts the adapters run in: the Python venvs scripts/install-hosts.sh makes (PyAirbyte,
 * Meltano, target-jsonl), and the connector's host executables as a host starts them. A missing
 * host fails the test with what to run; it is never skipped.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found upward from here: this file also runs compiled, from dist/. */
function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== '/'; dir = dirname(dir))
    if (existsSync(join(dir, 'connector.json')) && existsSync(join(dir, 'package-lock.json')))
      return dir;
  throw new Error('the repository root is not above this file');
}

const ROOT = repoRoot();

export function hostsDir(): string {
  if (process.env.IMAP_CONNECTOR_HOSTS_DIR) return process.env.IMAP_CONNECTOR_HOSTS_DIR;
  if (process.getuid?.() === 0) return '/var/cache/imap-connector-test/hosts';
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'imap-connector-test/hosts');
}

/** The bin directory of a host's venv. @throws when it is not installed. */
export function hostBin(name: 'airbyte' | 'airbyte-current' | 'meltano' | 'target-jsonl'): string {
  const venv = join(hostsDir(), name);
  if (!existsSync(join(venv, '.installed')))
    throw new Error(
      `The ${name} host is not installed in ${venv}: run scripts/install-hosts.sh (npm run test:hosts does).`,
    );
  return join(venv, 'bin');
}

/**
 * An executable that runs one of the connector's host entry points with this Node, written into
 * `dir`: what `npm install -g imap-connector` puts on PATH as imap-connector-airbyte / -singer.
 */
export function connectorExecutable(dir: string, kind: 'airbyte' | 'singer'): string {
  const script = join(ROOT, 'dist/src/cli', `${kind}-main.js`);
  const path = join(dir, `imap-connector-${kind}`);
  writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a host program to its end (asynchronously, so the test's own servers keep answering). */
export function runHost(
  program: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Files under `dir` (recursively) whose bytes contain `secret`. */
export function filesContaining(dir: string, secret: string): string[] {
  try {
    const out = execFileSync('grep', ['-rlaF', '--', secret, dir], { encoding: 'utf8' });
    return out.split('\n').filter(Boolean);
  } catch (error) {
    // grep exits 1 when nothing matched.
    if ((error as { status?: number }).status === 1) return [];
    throw error;
  }
}
