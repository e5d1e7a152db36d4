import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import type { DovecotInfo } from './dovecot.js';
import { withImapClient } from './imap-client.js';
import { dovecot } from './make-config.js';

export interface SnapshotMessage {
  messageId: string | null;
  size: number;
  sha256: string;
  flags: string[];
  internalDate: string;
}

/** An IMAP client on the private Dovecot as this user; always logged out. */
export async function withClient<T>(
  user: { name: string; password: string },
  work: (client: ImapFlow) => Promise<T>,
  server: Pick<DovecotInfo, 'host' | 'imapPort'> = dovecot(),
): Promise<T> {
  return withImapClient(user, server, work);
}

/**
 * Every non-empty folder of a mailbox: per message its Message-ID, size, a hash of the exact
 * source, flags (without \Recent) and internal date, sorted so two mailboxes compare with toEqual.
 */
export async function snapshot(
  user: { name: string; password: string },
  server: Pick<DovecotInfo, 'host' | 'imapPort'> = dovecot(),
): Promise<Record<string, SnapshotMessage[]>> {
  return withClient(
    user,
    async (client) => {
      const result: Record<string, SnapshotMessage[]> = {};
      for (const folder of await client.list()) {
        if (folder.flags.has('\\Noselect') || folder.flags.has('\\NonExistent')) continue;
        const lock = await client.getMailboxLock(folder.path, { readOnly: true });
        try {
          const messages: SnapshotMessage[] = [];
          if ((client.mailbox && client.mailbox.exists) || 0) {
            for await (const message of client.fetch('1:*', {
              envelope: true,
              size: true,
              flags: true,
              internalDate: true,
              source: true,
            })) {
              messages.push({
                messageId: message.envelope?.messageId ?? null,
                size: message.size ?? -1,
                sha256: createHash('sha256')
                  .update(message.source ?? Buffer.alloc(0))
                  .digest('hex'),
                flags: [...(message.flags ?? [])].filter((flag) => flag !== '\\Recent').sort(),
                internalDate: new Date(message.internalDate ?? 0).toISOString(),
              });
            }
          }
          if (messages.length > 0)
            result[folder.path] = messages.sort((a, b) =>
              a.sha256 + a.internalDate < b.sha256 + b.internalDate ? -1 : 1,
            );
        } finally {
          lock.release();
        }
      }
      return result;
    },
    server,
  );
}

/** Messages per folder. */
export function counts(snap: Record<string, SnapshotMessage[]>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(snap).map(([folder, messages]) => [folder, messages.length]),
  );
}
