import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Test files run in parallel workers, and two of them may need apt-get at once on a fresh
// machine (Cyrus and Courier unpack, libraries install): apt-get holds its lists' lock and
// fails the other at once. flock (util-linux) makes them take turns.
const APT_LOCK = join(tmpdir(), 'imap-connector-test-apt.lock');

function aptGet(args: string[], options: Parameters<typeof execFileSync>[2]): void {
  execFileSync('flock', ['-w', '600', APT_LOCK, 'apt-get', ...args], options);
}

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
    aptGet(['update', '-qq'], quiet);
    aptGet(['install', '-y', '-qq', ...aptPackages], quiet);
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(
      `apt-get could not install ${aptPackages.join(' ')}:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    );
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}

/**
 * Downloads Debian packages with apt-get and unpacks them into `root` without installing them
 * (dpkg-deb -x): for servers whose package conflicts with dovecot-imapd (Cyrus, Courier). As
 * root, once per machine; `root` appears whole or not at all.
 */
export function unpackPackages(packages: string[], root: string, what: string): void {
  if (process.getuid?.() !== 0)
    throw new Error(`${what} is not unpacked in ${root}: run the tests once as root.`);
  console.error(`${what} is missing: unpacking ${packages.join(' ')} into ${root} ...`);
  const download = mkdtempSync(join(tmpdir(), 'imap-connector-deb-'));
  const quiet = { cwd: download, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };
  try {
    // apt-get download runs as _apt where it can; a private 0755 folder lets it write there.
    execFileSync('chmod', ['0777', download]);
    // Package lists may be missing on a fresh machine (apt-get download needs them).
    aptGet(['update', '-qq'], quiet);
    aptGet(['download', '-qq', ...packages], quiet);
    const unpacked = `${root}.partial`;
    rmSync(unpacked, { recursive: true, force: true });
    mkdirSync(unpacked, { recursive: true });
    for (const file of readdirSync(download).filter((name) => name.endsWith('.deb')))
      execFileSync('dpkg-deb', ['-x', join(download, file), unpacked], quiet);
    rmSync(root, { recursive: true, force: true });
    execFileSync('mv', [unpacked, root]);
  } catch (error) {
    const failed = error as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(
      `${what} could not be unpacked: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    );
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
}
