/**
 * The users of a master-user batch from an LDAP directory (ldapts): one attribute (mail, uid)
 * of every entry a search finds. TLS (ldaps:// or StartTLS) is verified as IMAP's is, unless
 * the profile opts out in so many words.
 */
import { readFileSync } from 'node:fs';
import { makeError } from '../errors.js';
import type { LdapSettings } from './batch-profile.js';

const text = (value: unknown): string[] => {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))).filter(Boolean);
};

/**
 * The attribute's values, one user each, in directory order, without repeats.
 * @throws DIRECTORY_FAILED naming what failed (connect, StartTLS, bind, search), never the password.
 */
export async function ldapUsers(
  settings: LdapSettings,
  password: string | undefined,
): Promise<string[]> {
  const tlsOptions = {
    rejectUnauthorized: !settings.ignoreCertificateErrors,
    ...(settings.caFile ? { ca: [readFileSync(settings.caFile, 'utf8')] } : {}),
  };
  const timeout = settings.timeoutSeconds * 1000;
  // Loaded on first use (a dynamic import, which bundlers follow): only directory batches need it.
  const { Client } = await import('ldapts');
  const client = new Client({
    url: settings.url,
    timeout,
    connectTimeout: timeout,
    ...(settings.url.startsWith('ldaps:') ? { tlsOptions } : {}),
  });
  let step = 'connect';
  try {
    if (settings.startTls) {
      step = 'StartTLS';
      await client.startTLS(tlsOptions);
    }
    if (settings.bindDn) {
      step = 'bind';
      await client.bind(settings.bindDn, password ?? '');
    }
    step = 'search';
    const { searchEntries } = await client.search(settings.base, {
      scope: 'sub',
      filter: settings.filter,
      attributes: [settings.attribute],
      paged: true,
    });
    const users = searchEntries.flatMap((entry) => text(entry[settings.attribute]));
    return [...new Set(users)];
  } catch (error) {
    const reason = ((error as Error).message ?? String(error)).split('\n')[0]!;
    throw makeError(
      'DIRECTORY_FAILED',
      `The LDAP directory ${settings.url} failed at ${step}: ${password ? reason.split(password).join('[REDACTED]') : reason}.`,
      { field: '/mailboxes/masterUser/ldap', details: { step } },
    );
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
