import type { ImapFlow } from 'imapflow';
import type { FolderInfo } from '../folder-info.js';

export type { FolderInfo };

/** LIST every folder, INBOX first, then by path, so results are the same on every run. */
export async function listFolders(client: ImapFlow): Promise<FolderInfo[]> {
  const entries = await client.list();
  return entries
    .map((entry) => ({
      path: entry.path,
      name: entry.name,
      delimiter: entry.delimiter,
      specialUse: entry.specialUse ?? null,
      flags: [...entry.flags].sort(),
      subscribed: entry.subscribed,
    }))
    .sort((a, b) => (a.path === 'INBOX' ? -1 : b.path === 'INBOX' ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
