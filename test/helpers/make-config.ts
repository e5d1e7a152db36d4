import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { addDovecotUsers, type DovecotInfo } from './dovecot.js';

export function dovecot(): DovecotInfo {
  return inject('dovecot');
}

/** A user of its own for one test, so tests never share mailbox state. */
export function freshUser(
  prefix = 'u',
  options: { masterMayOpen?: boolean } = {},
): { name: string; password: string } {
  const user = {
    name: `${prefix}${randomBytes(4).toString('hex')}`,
    password: `pw-${randomBytes(6).toString('hex')}`,
  };
  addDovecotUsers(dovecot(), [{ ...user, ...options }]);
  return user;
}

/** A valid raw config for a test server's plain port (Dovecot, Cyrus, Courier), with overrides. */
export function configFor(
  server: Pick<DovecotInfo, 'host' | 'imapPort'>,
  user: { name: string; password: string },
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    server: server.host,
    port: server.imapPort,
    security: 'none',
    username: user.name,
    password: user.password,
    timeout: 10 * 1000,
    ...overrides,
  };
}

/** A valid raw config for the private Dovecot's plain port, with overrides. */
export function makeConfig(
  user: { name: string; password: string },
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return configFor(dovecot(), user, overrides);
}

/** An import's IMAP destination on the private Dovecot: the user's config as a target, and the job state's file. */
export function importTarget(
  user: { name: string; password: string },
  state: string,
  overrides: Record<string, unknown> = {},
): { connection: Record<string, unknown>; state: string } {
  return { connection: makeConfig(user, { isTarget: true, isSource: false, ...overrides }), state };
}

/** The CLI flags that reach the private Dovecot's plain port as this user (password from env). */
export function cliConnection(user: { name: string }): string[] {
  const server = dovecot();
  return [
    '--server',
    server.host,
    '--port',
    String(server.imapPort),
    '--security',
    'none',
    '--username',
    user.name,
  ];
}
