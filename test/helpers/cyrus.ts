/**
 * A private Cyrus IMAP server for the interop tests (issue 12): 127.0.0.1 on a free port, its
 * own imapd.conf, cyrus.conf, spool and SASL user database in a temporary folder, its master
 * process run in the foreground and stopped by its PID.
 *
 * Debian's cyrus-imapd conflicts with dovecot-imapd (both provide imap-server), so it cannot
 * be installed beside the Dovecot the other tests use. Its two packages are downloaded with
 * apt-get and unpacked into a folder of their own instead (once per machine, as root); the
 * libraries they link against and saslpasswd2 are ordinary packages, installed with apt-get.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, LOOPBACK, stopProcess } from './dovecot.js';
import { aptInstall, unpackPackages } from './system-package.js';

// Where the unpacked packages live; CYRUS_ROOT points elsewhere (a machine where cyrus-imapd is
// installed the usual way can use CYRUS_ROOT=/).
const ROOT = process.env.CYRUS_ROOT ?? '/var/cache/imap-connector-test/cyrus';
const PACKAGES = ['cyrus-common', 'cyrus-imapd'];
// The shared libraries cyrus-common's binaries link against (Debian 12), and saslpasswd2.
const LIBRARIES = [
  'libclamav12',
  'libical3',
  'libjansson4',
  'libpcre3',
  'libwrap0',
  'libxapian30',
  'libzephyr4',
  'libsasl2-modules',
  'sasl2-bin',
];

export interface CyrusUser {
  name: string;
  password: string;
}

export interface CyrusServer {
  host: string;
  imapPort: number;
  /** Creates SASL users; their INBOX is created on first login. */
  addUsers(users: CyrusUser[]): void;
  stop(): Promise<void>;
}

const binary = (name: string): string => join(ROOT, 'usr/lib/cyrus/bin', name);
const libraries = (): string => join(ROOT, 'usr/lib/x86_64-linux-gnu');

/** The unpacked packages and the libraries they need, fetched with apt-get when missing. */
function ensureCyrus(): void {
  if (!existsSync(binary('master'))) {
    if (process.env.CYRUS_ROOT)
      throw new Error(`CYRUS_ROOT=${ROOT} holds no Cyrus IMAP (usr/lib/cyrus/bin/master)`);
    unpackPackages(PACKAGES, ROOT, 'Cyrus IMAP');
  }
  const unresolved = ['master', 'imapd', 'ctl_cyrusdb'].some((name) =>
    execFileSync('ldd', [binary(name)], { env: { ...process.env, LD_LIBRARY_PATH: libraries() } })
      .toString()
      .includes('not found'),
  );
  if (unresolved || !existsSync('/usr/sbin/saslpasswd2'))
    aptInstall(LIBRARIES, 'What Cyrus IMAP links against (and saslpasswd2)');
}

function imapdConf(dir: string, user: string): string {
  return [
    `configdirectory: ${dir}/conf`,
    'defaultpartition: default',
    `partition-default: ${dir}/spool`,
    `sievedir: ${dir}/sieve`,
    'admins: cyrus',
    'sasl_pwcheck_method: auxprop',
    'sasl_auxprop_plugin: sasldb',
    `sasl_sasldb_path: ${dir}/sasldb2`,
    'sasl_mech_list: PLAIN LOGIN',
    // Plain logins so security "none" works on loopback; real servers should refuse them.
    'allowplaintext: yes',
    // Folders as most clients see them: "/" between levels, no "INBOX." in front.
    'unixhiersep: yes',
    'altnamespace: yes',
    // Each user's INBOX is made on first login, as a provisioning system would.
    'autocreate_quota: 0',
    `cyrus_user: ${user}`,
    `idlesocket: ${dir}/run/idle`,
    `notifysocket: ${dir}/run/notify`,
    `lmtpsocket: ${dir}/run/lmtp`,
    `mboxname_lockpath: ${dir}/run/lock`,
    `proc_path: ${dir}/run/proc`,
    `master_pid_file: ${dir}/run/master.pid`,
    'syslog_prefix: imap-connector-test-cyrus',
    '',
  ].join('\n');
}

function cyrusConf(dir: string, port: number): string {
  const conf = join(dir, 'imapd.conf');
  return `START {
  recover cmd="${binary('ctl_cyrusdb')} -C ${conf} -r"
}
SERVICES {
  imap cmd="${binary('imapd')} -C ${conf}" listen="${LOOPBACK}:${port}" prefork=0
}
EVENTS {
}
DAEMON {
}
`;
}

/** Resolves once the server greets on `port`. */
async function waitForGreeting(
  port: number,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null)
      throw new Error(`Cyrus master exited with ${child.exitCode}: ${log()}`);
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, LOOPBACK);
      socket.once('data', (chunk: Buffer) => {
        socket.destroy();
        resolve(chunk.toString().startsWith('* OK'));
      });
      socket.once('error', () => resolve(false));
    });
    if (greeted) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Cyrus did not greet within 10 s: ${log()}`);
}

/** Starts a private Cyrus IMAP with `users`; stop() ends it by PID and removes its files. */
export async function startCyrus(users: CyrusUser[] = []): Promise<CyrusServer> {
  ensureCyrus();
  const dir = mkdtempSync(join(tmpdir(), 'imap-connector-cyrus-'));
  for (const sub of ['conf', 'spool', 'sieve', 'run']) mkdirSync(join(dir, sub));
  // As root, master drops to cyrus_user, who must own the files; else it runs as we do.
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'nobody' : execFileSync('id', ['-un']).toString().trim();
  const port = await freePort();
  writeFileSync(join(dir, 'imapd.conf'), imapdConf(dir, user));
  writeFileSync(join(dir, 'cyrus.conf'), cyrusConf(dir, port));
  const addUsers = (more: CyrusUser[]): void => {
    for (const each of more)
      execFileSync('saslpasswd2', ['-p', '-c', '-f', join(dir, 'sasldb2'), each.name], {
        input: each.password,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
    if (asRoot) chownTree(dir, user);
  };
  // The SASL database must exist before the first login, even with no user in it.
  addUsers([{ name: 'cyrus', password: `admin-${process.pid}-${port}` }, ...users]);
  let output = '';
  const child = spawn(
    binary('master'),
    [
      '-C',
      join(dir, 'imapd.conf'),
      '-M',
      join(dir, 'cyrus.conf'),
      '-D',
      '-p',
      join(dir, 'run/master.pid'),
    ],
    {
      cwd: dir,
      env: { ...process.env, LD_LIBRARY_PATH: libraries() },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async (): Promise<void> => {
    // master ends its imapd children on SIGTERM before it exits.
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForGreeting(port, child, () => output.trim());
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: LOOPBACK, imapPort: port, addUsers, stop };
}

function chownTree(dir: string, user: string): void {
  const uid = Number(execFileSync('id', ['-u', user]).toString());
  const gid = Number(execFileSync('id', ['-g', user]).toString());
  const walk = (path: string): void => {
    chownSync(path, uid, gid);
    for (const entry of readdirSync(path, { withFileTypes: true }))
      if (entry.isDirectory()) walk(join(path, entry.name));
      else chownSync(join(path, entry.name), uid, gid);
  };
  walk(dir);
}
