import { ImapFlow } from 'imapflow';
import type { DovecotInfo } from './dovecot.js';

/** A plain imapflow client of `user` on a test Dovecot: the tests' own view of a mailbox. */
export function imapClient(
  user: { name: string; password: string },
  server: Pick<DovecotInfo, 'host' | 'imapPort'>,
): ImapFlow {
  const client = new ImapFlow({
    host: server.host,
    port: server.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user: user.name, pass: user.password },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  return client;
}

/** Connects `user`, runs `work`, and always logs out. */
export async function withImapClient<T>(
  user: { name: string; password: string },
  server: Pick<DovecotInfo, 'host' | 'imapPort'>,
  work: (client: ImapFlow) => Promise<T>,
): Promise<T> {
  const client = imapClient(user, server);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout();
  }
}
