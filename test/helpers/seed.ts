import { ImapFlow } from 'imapflow';
import type { DovecotInfo } from './dovecot.js';

export interface SeedMessage {
  /** Raw RFC 5322 source. */
  source: string | Buffer;
  flags?: string[];
  internalDate?: Date;
}

/**
 * Puts messages into a user's folders over IMAP (APPEND), creating folders as needed.
 * Goes through the plain port like any client, so folder names are encoded by imapflow.
 */
export async function seedMailbox(
  server: Pick<DovecotInfo, 'host' | 'imapPort'>,
  user: { name: string; password: string },
  folders: Record<string, SeedMessage[]>,
): Promise<void> {
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
  await client.connect();
  try {
    const existing = new Set((await client.list()).map((entry) => entry.path));
    for (const [folder, messages] of Object.entries(folders)) {
      if (!existing.has(folder)) await client.mailboxCreate(folder);
      for (const message of messages) {
        await client.append(folder, message.source, message.flags ?? [], message.internalDate);
      }
    }
  } finally {
    await client.logout();
  }
}
