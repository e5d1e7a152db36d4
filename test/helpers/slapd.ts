/**
 * A private OpenLDAP slapd for the directory tests: 127.0.0.1 on a free port (plain, with
 * StartTLS on the Dovecot test certificate), its own config and mdb database in a temporary
 * folder, run in the foreground and stopped by its PID. Seeded with people through ldapts as
 * the root DN.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { freePort, LOOPBACK } from './dovecot.js';
import { systemProgram } from './system-package.js';

export const LDAP_SUFFIX = 'dc=example,dc=test';
export const LDAP_PEOPLE = `ou=people,${LDAP_SUFFIX}`;
const ROOT = { dn: `cn=admin,${LDAP_SUFFIX}`, password: 'ldap-root-secret' };

export interface Slapd {
  url: string;
  root: typeof ROOT;
  /** Adds people under ou=people with these mail addresses (uid = the part before @). */
  addPeople(mails: string[]): Promise<void>;
  stop(): Promise<void>;
}

function config(dir: string, tls: { cert: string; key: string }): string {
  return [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `TLSCertificateFile ${tls.cert}`,
    `TLSCertificateKeyFile ${tls.key}`,
    'database mdb',
    `suffix "${LDAP_SUFFIX}"`,
    `rootdn "${ROOT.dn}"`,
    `rootpw ${ROOT.password}`,
    `directory ${join(dir, 'db')}`,
    'maxsize 10485760',
    '',
  ].join('\n');
}

async function waitForPort(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}`);
    const client = new Client({ url, connectTimeout: 500 });
    try {
      await client.bind(ROOT.dn, ROOT.password);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
  throw new Error('slapd did not answer within 10 s');
}

/** Starts slapd; `tls` is the certificate and key to offer with StartTLS. */
export async function startSlapd(tls: { cert: string; key: string }): Promise<Slapd> {
  const binary = systemProgram(['/usr/sbin/slapd'], ['slapd', 'ldap-utils'], 'OpenLDAP (slapd)');
  const dir = mkdtempSync(join(tmpdir(), 'imap-connector-slapd-'));
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'slapd.conf'), config(dir, tls));
  const port = await freePort();
  const url = `ldap://${LOOPBACK}:${port}`;
  // -d 0: stay in the foreground, so the PID is the server's and nothing is left behind.
  const child = spawn(binary, ['-f', join(dir, 'slapd.conf'), '-h', `${url}/`, '-d', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(url, child);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${stderr.slice(-2000)}`);
  }
  const admin = async <T>(work: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ url });
    await client.bind(ROOT.dn, ROOT.password);
    try {
      return await work(client);
    } finally {
      await client.unbind();
    }
  };
  await admin(async (client) => {
    await client.add(LDAP_SUFFIX, {
      objectClass: ['dcObject', 'organization'],
      dc: 'example',
      o: 'Example',
    });
    await client.add(LDAP_PEOPLE, { objectClass: ['organizationalUnit'], ou: 'people' });
  });
  return {
    url,
    root: ROOT,
    addPeople: (mails) =>
      admin(async (client) => {
        for (const mail of mails) {
          const uid = mail.split('@')[0]!;
          await client.add(`uid=${uid},${LDAP_PEOPLE}`, {
            objectClass: ['inetOrgPerson'],
            uid,
            cn: uid,
            sn: uid,
            mail,
          });
        }
      }),
    stop,
  };
}
