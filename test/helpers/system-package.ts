import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';

/** The path of a program a test needs from a Debian package, installed by aptInstall when missing. */
export function systemProgram(candidates: string[], aptPackages: string[], what: string): string {
  const found = candidates.find((path) => existsSync(path));
  if (found) return found;
  aptInstall(aptPackages, what);
  return candidates[0]!;
}

/**
 * Installs Debian packages a test needs, as root, quietly unless it fails (then apt-get's own
 * output says why); not root: an error saying what to install.
 */
export function aptInstall(aptPackages: string[], what: string): void {
  if (process.getuid?.() !== 0)
    throw new Error(
      `${what} is not installed: run "sudo apt-get install ${aptPackages.join(' ')}" (Debian/Ubuntu) and try again.`,
    );
  console.error(`${what} is missing: installing ${aptPackages.join(' ')} with apt-get ...`);
  const quiet = {
    encoding: 'utf8' as const,
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  };
  // Debian starts a package's system service on install (slapd, dovecot); the tests run private
  // servers and want none: policy-rc.d says no while apt-get works.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) {
    writeFileSync(policy, '#!/bin/sh\nexit 101\n');
    chmodSync(policy, 0o755);
  }
  try {
    execFileSync('apt-get', ['update', '-qq'], quiet);
    execFileSync('apt-get', ['install', '-y', '-qq', ...aptPackages], quiet);
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(
      `apt-get could not install ${aptPackages.join(' ')}:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    );
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}
