/**
 * What the streamed and piped import tests share: messages of a few MB whose bytes are as
 * random as a file's, and an expunge made by another client at a chosen moment of a run.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { message } from './corpus.js';
import { dovecot } from './make-config.js';

const MB = 1024 * 1024;

/** A message of about `megabytes` MB: base64 lines of random bytes, and a NUL at `nulAt` when asked. */
export function largeMessage(
  subject: string,
  megabytes: number,
  options: { id?: null; nulAt?: number } = {},
): Buffer {
  const lines = randomBytes(Math.floor((megabytes * MB * 3) / 4))
    .toString('base64')
    .match(/.{1,76}/g)!;
  const source = message(subject, { body: lines.join('\r\n'), ...options });
  if (options.nulAt !== undefined) source[options.nulAt] = 0;
  return source;
}

/**
 * Expunges `uid` from the user's INBOX through a client of its own, in a child process run
 * synchronously: called from a run's logger, the run waits for it, so the race is made, not
 * hoped for.
 */
export function expungeNow(user: { name: string; password: string }, uid: number): void {
  const script = [
    "const { ImapFlow } = await import('imapflow');",
    `const client = new ImapFlow(${JSON.stringify({
      host: dovecot().host,
      port: dovecot().imapPort,
      secure: false,
      doSTARTTLS: false,
      auth: { user: user.name, pass: user.password },
      logger: false,
    })});`,
    'await client.connect();',
    "await client.mailboxOpen('INBOX');",
    `await client.messageDelete('${uid}', { uid: true });`,
    'await client.logout();',
  ].join('\n');
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
}

/** A run's logger that expunges `uid` (expungeNow) the first time it logs a line matching `when`. */
export function expungingLogger(
  user: { name: string; password: string },
  uid: number,
  when: RegExp,
): {
  logger: Record<'debug' | 'info' | 'warn' | 'error', (entry: { msg?: unknown }) => void>;
  expunged(): boolean;
} {
  let expunged = false;
  const onEntry = (entry: { msg?: unknown }): void => {
    if (expunged || !when.test(String(entry.msg))) return;
    expunged = true;
    expungeNow(user, uid);
  };
  return {
    logger: { debug: onEntry, info: onEntry, warn: onEntry, error: onEntry },
    expunged: () => expunged,
  };
}
