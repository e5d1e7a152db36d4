/**
 * A private Dovecot for tests and the demo: started on 127.0.0.1 on free ports with its own
 * config dir, base dir and throw-away maildir store, never the system service. It has a
 * plain/STARTTLS listener and an implicit-TLS listener with a self-signed certificate made
 * here, passwd-file users, a master user (SASL PLAIN authzid and "user*master"), and an
 * oauth2 passdb that asks a small local token-introspection endpoint (tokens.json).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import {
  connect as connectTcp,
  createServer as createTcpServer,
  type Server as TcpServer,
} from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { systemProgram } from './system-package.js';

export const LOOPBACK = '127.0.0.1';
// Dovecot forks its auth and login processes on first use; give a cold start room.
const READY_TIMEOUT_MS = 15 * 1000;
const STOP_TIMEOUT_MS = 5 * 1000;

export interface DovecotUser {
  name: string;
  password: string;
  /** Whether the master user may open this mailbox (default true). */
  masterMayOpen?: boolean;
  /** Quota in messages: an APPEND beyond it is refused with [OVERQUOTA]. */
  quotaMessages?: number;
  /** Largest message this user may receive, e.g. 10k: a larger APPEND is refused. */
  maxMailSize?: string;
}

/** What a test (or the demo) needs to reach the server; JSON-safe, so globalSetup can provide it. */
export interface DovecotInfo {
  host: string;
  /** Plain listener; STARTTLS is offered on it. */
  imapPort: number;
  /** Implicit TLS listener (the IMAPS of RFC 8314). */
  imapsPort: number;
  /** POP3 (dovecot-pop3d) on the same mailboxes: plain with STLS, and POP3S. */
  pop3Port: number;
  pop3sPort: number;
  dir: string;
  /** The self-signed certificate, usable as caFile. */
  caFile: string;
  usersDir: string;
  tokensFile: string;
  logFile: string;
  master: { name: string; password: string };
  pid: number;
}

export interface DovecotServer extends DovecotInfo {
  stop(): Promise<void>;
}

const MASTER = { name: 'admin', password: 'master-secret-pw' };
const DEFAULT_MECHANISMS = 'plain login xoauth2 oauthbearer';

/** A TCP port nobody listens on right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * Distinct free ports: all are held open until the last is picked, because a port closed at once
 * can be handed out again by the next listen(0) (two Dovecot listeners on one port, seen in CI).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => listenAnywhere()));
  const ports = servers.map(({ port }) => port);
  await Promise.all(servers.map(({ server }) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function listenAnywhere(): Promise<{ server: TcpServer; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      if (typeof address === 'object' && address) resolve({ server, port: address.port });
      else server.close(() => reject(new Error('no port')));
    });
  });
}

function findDovecot(): string {
  const binary = systemProgram(
    ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'],
    ['dovecot-imapd', 'dovecot-pop3d'],
    'Dovecot',
  );
  // POP3 sources (issue 27) are tested against the same instance's POP3 service.
  systemProgram(['/usr/lib/dovecot/pop3'], ['dovecot-pop3d'], "Dovecot's POP3 server");
  return binary;
}

/** One passwd-file line; a user the master may not open refuses master logins by allow_nets. */
export function passwdLine(user: DovecotUser): string {
  // %{master_user} is empty for the user's own logins, so only master logins hit the bogus net.
  const extra = [
    user.masterMayOpen === false
      ? 'allow_nets=%{if;%{master_user};eq;;127.0.0.0/8,::1/128;192.0.2.1/32}'
      : '',
    user.quotaMessages !== undefined ? `userdb_quota_rule=*:messages=${user.quotaMessages}` : '',
    user.maxMailSize !== undefined ? `userdb_quota_max_mail_size=${user.maxMailSize}` : '',
  ].filter(Boolean);
  return `${user.name}:{PLAIN}${user.password}::::::${extra.join(' ')}\n`;
}

function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '3650',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

interface Identity {
  internalUser: string;
  loginUser: string;
  mailUser: string;
}

// As root Dovecot insists on unprivileged helpers: use the accounts the Debian package made.
function identity(): Identity {
  if (process.getuid?.() === 0)
    return { internalUser: 'dovecot', loginUser: 'dovenull', mailUser: 'dovecot' };
  const me = userInfo().username;
  return { internalUser: me, loginUser: me, mailUser: me };
}

/** How the mail namespace looks: its hierarchy separator and what the special-use folders are called. */
export interface NamespaceOptions {
  separator?: string;
  /** Names of the \Sent, \Drafts, \Trash and \Junk folders (default Sent, Drafts, Trash, Junk). */
  specialUseNames?: Partial<Record<'Sent' | 'Drafts' | 'Trash' | 'Junk', string>>;
  /** false: no special-use folders at all (a server that has never had a Sent folder). */
  specialUse?: boolean;
}

function namespaceText(options: NamespaceOptions): string {
  const names = {
    Sent: 'Sent',
    Drafts: 'Drafts',
    Trash: 'Trash',
    Junk: 'Junk',
    ...options.specialUseNames,
  };
  const uses = options.specialUse === false ? [] : (['Sent', 'Drafts', 'Trash', 'Junk'] as const);
  const boxes = uses
    .map((use) => `  mailbox "${names[use]}" {\n    special_use = \\${use}\n    auto = create\n  }`)
    .join('\n');
  return `namespace inbox {\n  inbox = yes\n  separator = ${options.separator ?? '/'}\n${boxes}\n}`;
}

/** A protocol's login service: a plain listener and an implicit-TLS one, on loopback. */
function loginService(protocol: 'imap' | 'pop3', plain: number, tls: number): string {
  return `service ${protocol}-login {
  inet_listener ${protocol} {
    address = ${LOOPBACK}
    port = ${plain}
  }
  inet_listener ${protocol}s {
    address = ${LOOPBACK}
    port = ${tls}
    ssl = yes
  }
}`;
}

function configText(
  dir: string,
  ports: { imap: number; imaps: number; pop3: number; pop3s: number },
  tls: { cert: string; key: string },
  who: Identity,
  mechanisms: string,
  namespace: NamespaceOptions = {},
): string {
  const rootOnly =
    process.getuid?.() === 0
      ? ''
      : '\nservice imap-login {\n  chroot =\n}\nservice pop3-login {\n  chroot =\n}\nservice auth {\n  user = $default_internal_user\n}\n';
  return `# generated by test/helpers/dovecot.ts
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = imap-connector-test-${ports.imap}
protocols = imap pop3
listen = ${LOOPBACK}
log_path = ${dir}/dovecot.log
ssl = yes
ssl_cert = <${tls.cert}
ssl_key = <${tls.key}
# Plain logins are allowed so security "none" can be tested; real servers should refuse them.
disable_plaintext_auth = no
auth_mechanisms = ${mechanisms}
auth_master_user_separator = *
auth_failure_delay = 0
auth_verbose = yes
default_internal_user = ${who.internalUser}
default_internal_group = ${who.internalUser}
default_login_user = ${who.loginUser}
first_valid_uid = 1
mail_location = maildir:${dir}/mail/%u
mail_fsync = never
# Quota only for users whose passwd line sets a rule (quotaMessages, maxMailSize): a full or
# size-limited target mailbox is a real APPEND failure, not a mock.
mail_plugins = $mail_plugins quota
plugin {
  quota = count:User quota
  quota_vsizes = yes
}
${namespaceText(namespace)}
${loginService('imap', ports.imap, ports.imaps)}
${loginService('pop3', ports.pop3, ports.pop3s)}
# Tests fail logins on purpose; the per-IP auth penalty would slow every later login.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
${rootOnly}
passdb {
  driver = passwd-file
  master = yes
  pass = yes
  args = ${dir}/master-users
}
# One file per user: Dovecot rereads a changed passwd-file at most once a second, which
# would hide users added by tests in quick succession; a new file is read on first use.
passdb {
  driver = passwd-file
  args = ${dir}/users.d/%u
}
passdb {
  driver = oauth2
  mechanisms = ${mechanisms
    .split(' ')
    .filter((m) => m === 'xoauth2' || m === 'oauthbearer')
    .join(' ')}
  args = ${dir}/oauth2.conf.ext
}
userdb {
  driver = passwd-file
  args = ${dir}/users.d/%u
  default_fields = uid=${who.mailUser} gid=${who.mailUser} home=${dir}/mail/%u
}
`;
}

/** RFC 7662-style introspection: active for tokens listed in tokens.json ({token: user}). */
function startIntrospection(tokensFile: string): Promise<{ server: HttpServer; url: string }> {
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const token =
        new URLSearchParams(body).get('token') ??
        (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      const tokens = JSON.parse(readFileSync(tokensFile, 'utf8')) as Record<string, string>;
      const user = tokens[token];
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(user ? { active: true, username: user } : { active: false }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ server, url: `http://${LOOPBACK}:${port}/introspect` });
    }),
  );
}

/** Resolves on the "* OK" greeting; rejects if the process dies first or time runs out. */
function waitForGreeting(port: number, child: ChildProcess, logFile: string): Promise<void> {
  const until = Date.now() + READY_TIMEOUT_MS;
  const attempt = (resolve: () => void, reject: (e: Error) => void): void => {
    if (child.exitCode !== null)
      return reject(new Error(`Dovecot exited with code ${child.exitCode}: ${tail(logFile)}`));
    if (Date.now() > until)
      return reject(
        new Error(
          `Dovecot did not greet on port ${port} within ${READY_TIMEOUT_MS} ms: ${tail(logFile)}`,
        ),
      );
    const socket = connectTcp(port, LOOPBACK);
    socket.setTimeout(1000);
    socket.once('data', (data) => {
      socket.destroy();
      if (data.toString().startsWith('* OK')) resolve();
      else setTimeout(() => attempt(resolve, reject), 100);
    });
    const retry = (): void => {
      socket.destroy();
      setTimeout(() => attempt(resolve, reject), 100);
    };
    socket.once('error', retry);
    socket.once('timeout', retry);
  };
  return new Promise(attempt);
}

function tail(file: string): string {
  return existsSync(file)
    ? readFileSync(file, 'utf8').split('\n').slice(-8).join(' | ')
    : '(no log)';
}

const USER_NAME = /^[A-Za-z0-9._@-]+$/;

/** Adds users (one passwd-file each, see the passdb comment in the config). */
export function addDovecotUsers(info: Pick<DovecotInfo, 'usersDir'>, users: DovecotUser[]): void {
  for (const user of users) {
    if (!USER_NAME.test(user.name))
      throw new Error(`test user name must match ${USER_NAME}: ${user.name}`);
    writeFileSync(join(info.usersDir, user.name), passwdLine(user));
  }
}

/** Makes `token` an active OAuth2 access token for `user` at the introspection endpoint. */
export function addOAuthToken(
  info: Pick<DovecotInfo, 'tokensFile'>,
  token: string,
  user: string,
): void {
  const tokens = JSON.parse(readFileSync(info.tokensFile, 'utf8')) as Record<string, string>;
  tokens[token] = user;
  writeFileSync(info.tokensFile, JSON.stringify(tokens));
}

/** Ends a child process by its PID: SIGTERM, then SIGKILL if it is still there after 5 s. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Dovecot's capabilities without CONDSTORE and QRESYNC (as Courier IMAP announces none): for
 * `capabilities`, where a server without MODSEQs is wanted.
 */
export const CAPABILITIES_WITHOUT_CONDSTORE = [
  'IMAP4rev1',
  'LITERAL+',
  'SASL-IR',
  'ID',
  'ENABLE',
  'IDLE',
  'NAMESPACE',
  'UIDPLUS',
  'MOVE',
  'ESEARCH',
];

type DovecotPorts = { imap: number; imaps: number; pop3: number; pop3s: number };

const PORT_TAKEN = /Address already in use|duplicate listener/;

/**
 * Spawns Dovecot on fresh ports until it greets. A port picked free can be taken by another test
 * process before Dovecot binds it; that start is retried on new ports, any other failure is not.
 */
async function launch(
  binary: string,
  configFile: string,
  logFile: string,
  writeConfig: (ports: DovecotPorts) => void,
): Promise<{ child: ChildProcess; ports: DovecotPorts }> {
  for (let attempt = 1; ; attempt++) {
    const [imap, imaps, pop3, pop3s] = await freePorts(4);
    const ports = { imap: imap!, imaps: imaps!, pop3: pop3!, pop3s: pop3s! };
    writeConfig(ports);
    const child = spawn(binary, ['-F', '-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitForGreeting(ports.imap, child, logFile);
      return { child, ports };
    } catch (error) {
      await stopProcess(child);
      const message = `${(error as Error).message} ${stderr.trim()}`;
      if (attempt >= 3 || !PORT_TAKEN.test(message)) throw new Error(message);
    }
  }
}

/** Starts a private Dovecot with the given users; stop() kills it by PID and removes its files. */
export async function startDovecot(
  options: {
    users?: DovecotUser[];
    keepFiles?: boolean;
    authMechanisms?: string;
    parentDir?: string;
    /** Extra capabilities to announce after login, e.g. APPENDLIMIT=4096 (announced, not enforced). */
    extraCapabilities?: string[];
    /** The whole capability list to announce instead of Dovecot's, e.g. one without MOVE and UIDPLUS. */
    capabilities?: string[];
    namespace?: NamespaceOptions;
    /** Settings appended to the generated dovecot.conf, e.g. mail_max_userip_connections = 1. */
    settings?: string[];
  } = {},
): Promise<DovecotServer> {
  const binary = findDovecot();
  const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'imap-connector-dovecot-'));
  chmodSync(dir, 0o755); // mail processes run unprivileged and must reach mail/
  const who = identity();
  mkdirSync(join(dir, 'mail'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', who.mailUser]).toString());
    const gid = Number(execFileSync('id', ['-g', who.mailUser]).toString());
    chownSync(join(dir, 'mail'), uid, gid);
  }
  const tls = makeCertificate(dir);
  const tokensFile = join(dir, 'tokens.json');
  writeFileSync(tokensFile, '{}');
  const introspection = await startIntrospection(tokensFile);
  writeFileSync(
    join(dir, 'oauth2.conf.ext'),
    `introspection_mode = post\nintrospection_url = ${introspection.url}\nusername_attribute = username\nactive_attribute = active\nactive_value = true\ntokeninfo_url =\n`,
  );
  writeFileSync(join(dir, 'master-users'), `${MASTER.name}:{PLAIN}${MASTER.password}::::::\n`);
  const usersDir = join(dir, 'users.d');
  mkdirSync(usersDir);
  addDovecotUsers({ usersDir }, options.users ?? []);
  const configFile = join(dir, 'dovecot.conf');
  const extra = options.capabilities
    ? `imap_capability = ${options.capabilities.join(' ')}\n`
    : options.extraCapabilities?.length
      ? `imap_capability = +${options.extraCapabilities.join(' ')}\n`
      : '';
  const writeConfig = (ports: DovecotPorts): void =>
    writeFileSync(
      configFile,
      configText(
        dir,
        ports,
        tls,
        who,
        options.authMechanisms ?? DEFAULT_MECHANISMS,
        options.namespace,
      ) +
        extra +
        (options.settings ?? []).map((line) => `${line}\n`).join(''),
    );
  const logFile = join(dir, 'dovecot.log');
  let started: { child: ChildProcess; ports: DovecotPorts };
  try {
    started = await launch(binary, configFile, logFile, writeConfig);
  } catch (error) {
    introspection.server.close();
    throw error;
  }
  const { child, ports } = started;
  return {
    host: LOOPBACK,
    imapPort: ports.imap,
    imapsPort: ports.imaps,
    pop3Port: ports.pop3,
    pop3sPort: ports.pop3s,
    dir,
    caFile: tls.cert,
    usersDir,
    tokensFile,
    logFile,
    master: MASTER,
    pid: child.pid ?? -1,
    async stop() {
      await stopProcess(child);
      await new Promise((resolve) => introspection.server.close(resolve));
      if (!options.keepFiles) rmSync(dir, { recursive: true, force: true });
    },
  };
}
