/**
 * A private Courier-IMAP for the interop tests (issue 29): the third server, the one without
 * CONDSTORE. Debian's courier-imap conflicts with dovecot-imapd, so its packages are unpacked
 * into a folder of their own as for Cyrus (system-package.ts).
 *
 * A private instance cannot LOGIN: courier-authdaemon's socket and config paths are compiled
 * in. Courier's imapd is what runs after a login, though: started with AUTHENTICATED set and a
 * Maildir, it serves that mailbox on stdin/stdout and greets with PREAUTH. So each mailbox gets
 * a listening port on 127.0.0.1 and every connection to it its own imapd, as couriertcpd would
 * start one after authenticating. The connector accepts a PREAUTH greeting (the credentials
 * in the config are then not used).
 *
 * imapd watches the Maildir through Gamin (FAM). Its gam_server is started here, under a client
 * id of this instance, so imapd never forks one of its own, and stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOOPBACK, stopProcess } from './dovecot.js';
import { unpackPackages } from './system-package.js';

const ROOT = process.env.COURIER_ROOT ?? '/var/cache/imap-connector-test/courier';
// courier-imap's imapd, the libraries it links against that Debian 12 does not carry by default,
// and gamin for its gam_server.
const PACKAGES = [
  'courier-imap',
  'courier-base',
  'courier-authlib',
  'libcourier-unicode4',
  'libgamin0',
  'gamin',
  'libidn12',
];
// What a stock /etc/courier/imapd advertises, less the AUTH= mechanisms (no LOGIN here).
const CAPABILITY = 'IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT SORT QUOTA IDLE';

export interface CourierMailbox {
  host: string;
  imapPort: number;
  /** The user imapd serves; the connector's username (its password is never asked for). */
  name: string;
}

export interface CourierServer {
  /** A new empty mailbox (an INBOX Maildir) with a port of its own. */
  addMailbox(name: string): Promise<CourierMailbox>;
  stop(): Promise<void>;
}

const imapd = (): string => join(ROOT, 'usr/bin/imapd');
const libraries = (): string =>
  `${join(ROOT, 'usr/lib')}:${join(ROOT, 'usr/lib/x86_64-linux-gnu')}`;

function ensureCourier(): void {
  if (existsSync(imapd()) && existsSync(join(ROOT, 'usr/libexec/gam_server'))) return;
  if (process.env.COURIER_ROOT)
    throw new Error(`COURIER_ROOT=${ROOT} holds no Courier-IMAP (usr/bin/imapd, gam_server)`);
  unpackPackages(PACKAGES, ROOT, 'Courier-IMAP');
}

/** Starts the Gamin server imapd talks to, and waits until its socket answers. */
async function startGamin(clientId: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(join(ROOT, 'usr/libexec/gam_server'), ['--notimeout', clientId], {
    env,
    stdio: 'ignore',
  });
  // gam_server listens at once; imapd started before that would fork a server of its own,
  // which fails here (no GAMIN_DEBUG_SERVER) and shows as an [ALERT] in the greeting.
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (child.exitCode !== null) throw new Error(`gam_server exited with ${child.exitCode}`);
  return child;
}

/** Starts the private Courier-IMAP; stop() ends every imapd and gam_server by PID. */
export async function startCourier(): Promise<CourierServer> {
  ensureCourier();
  const dir = mkdtempSync(join(tmpdir(), 'imap-connector-courier-'));
  const clientId = `imap-connector-${process.pid}-${Date.now()}`;
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LD_LIBRARY_PATH: libraries(),
    GAM_CLIENT_ID: clientId,
  };
  const gamin = await startGamin(clientId, env);
  const servers: Server[] = [];
  const sessions = new Set<ChildProcess>();

  /** One imapd for one connection, its stdin and stdout the socket. */
  const serve = (socket: Socket, name: string, home: string): void => {
    const child = spawn(imapd(), ['Maildir'], {
      cwd: home,
      env: {
        ...env,
        AUTHENTICATED: name,
        IMAP_CAPABILITY: CAPABILITY,
        IMAP_KEYWORDS: '1',
        IMAP_ACL: '1',
        IMAP_IDLE_TIMEOUT: '60',
        IMAP_USELOCKS: '1',
        IMAP_TRASHFOLDERNAME: 'Trash',
        IMAP_EMPTYTRASH: 'Trash:7',
        TCPREMOTEIP: socket.remoteAddress ?? LOOPBACK,
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    sessions.add(child);
    child.once('exit', () => {
      sessions.delete(child);
      socket.destroy();
    });
    child.stdin?.on('error', () => undefined);
    socket.on('error', () => undefined);
    socket.pipe(child.stdin!);
    child.stdout!.pipe(socket);
    socket.once('close', () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    });
  };

  const addMailbox = async (name: string): Promise<CourierMailbox> => {
    const home = join(dir, name);
    for (const sub of ['cur', 'new', 'tmp'])
      mkdirSync(join(home, 'Maildir', sub), { recursive: true });
    const server = createServer((socket) => serve(socket, name, home));
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, LOOPBACK, resolve);
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return { host: LOOPBACK, imapPort: address.port, name };
  };

  const stop = async (): Promise<void> => {
    for (const server of servers) server.close();
    await Promise.all([...sessions].map(stopProcess));
    await stopProcess(gamin);
    rmSync(dir, { recursive: true, force: true });
  };
  return { addMailbox, stop };
}
