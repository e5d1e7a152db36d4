import { withImapClient } from './imap-client.js';
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
  await withImapClient(user, server, async (client) => {
    const existing = new Set((await client.list()).map((entry) => entry.path));
    for (const [folder, messages] of Object.entries(folders)) {
      if (!existing.has(folder)) await client.mailboxCreate(folder);
      for (const message of messages) {
        await client.append(folder, message.source, message.flags ?? [], message.internalDate);
      }
    }
  });
}
