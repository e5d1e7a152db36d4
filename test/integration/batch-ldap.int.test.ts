/**
 * A master-user batch whose users come from an LDAP directory: a private OpenLDAP slapd on
 * loopback, StartTLS verified against the test certificate, selection "only these".
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch } from '../../src/index.js';
import {
  archiveHashes,
  dovecotSource,
  mailboxHashes,
  seededAccounts,
  writeProfile,
} from '../helpers/batch-fixtures.js';
import { dovecot } from '../helpers/make-config.js';
import { LDAP_PEOPLE, startSlapd, type Slapd } from '../helpers/slapd.js';
import { tempDir } from '../helpers/temp-dir.js';

const HOST = '127.0.0.1';
let slapd: Slapd;

beforeAll(async () => {
  slapd = await startSlapd({ cert: dovecot().caFile, key: join(dovecot().dir, 'key.pem') });
}, 60_000);
afterAll(async () => {
  await slapd?.stop();
});

function ldapProfile(
  dir: string,
  ldap: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return writeProfile(dir, {
    name: 'directory',
    source: dovecotSource(),
    destination: { archive: 'mail.archive' },
    mailboxes: {
      masterUser: {
        username: dovecot().master.name,
        ldap: { url: slapd.url, base: LDAP_PEOPLE, attribute: 'uid', ...ldap },
        ...extra,
      },
    },
  });
}

describe('a master-user batch from LDAP', () => {
  it('archives only the listed users the directory has, over verified StartTLS with a bind', async () => {
    const accounts = await seededAccounts(4, 'ld');
    await slapd.addPeople(accounts.map((a) => `${a.name}@example.test`));
    const dir = tempDir();
    const profile = ldapProfile(
      dir,
      {
        startTls: true,
        caFile: dovecot().caFile,
        bindDn: slapd.root.dn,
        filter: '(objectClass=inetOrgPerson)',
      },
      { select: 'only', list: [accounts[0]!.name, accounts[2]!.name] },
    );
    const report = await runBatch(profile, {
      env: {
        IMAP_MASTER_PASSWORD: dovecot().master.password,
        LDAP_BIND_PASSWORD: slapd.root.password,
      },
    });
    expect(report.totals).toMatchObject({ mailboxes: 2, done: 2, failed: 0 });
    for (const account of [accounts[0]!, accounts[2]!])
      expect(archiveHashes(join(dir, 'mail.archive'), `${account.name}@${HOST}`)).toEqual(
        await mailboxHashes(account),
      );
    expect(archiveHashes(join(dir, 'mail.archive'), `${accounts[1]!.name}@${HOST}`)).toEqual({});
  });

  it('says DIRECTORY_FAILED at bind for a wrong password, without it, and at StartTLS for an untrusted certificate', async () => {
    const dir = tempDir();
    const env = { IMAP_MASTER_PASSWORD: dovecot().master.password };
    await expect(
      runBatch(ldapProfile(dir, { bindDn: slapd.root.dn }), {
        env: { ...env, LDAP_BIND_PASSWORD: 'wrong-bind-pw' },
      }),
    ).rejects.toMatchObject({
      code: 'DIRECTORY_FAILED',
      message: expect.stringMatching(/failed at bind/),
    });
    await expect(
      runBatch(ldapProfile(dir, { bindDn: slapd.root.dn }), {
        env: { ...env, LDAP_BIND_PASSWORD: 'wrong-bind-pw' },
      }),
    ).rejects.toSatisfy((error: Error) => !error.message.includes('wrong-bind-pw'));
    await expect(runBatch(ldapProfile(dir, { startTls: true }), { env })).rejects.toMatchObject({
      code: 'DIRECTORY_FAILED',
      message: expect.stringMatching(/failed at StartTLS/),
    });
  });
});
