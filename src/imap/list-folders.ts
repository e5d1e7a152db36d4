import type { ImapFlow } from 'imapflow';

/** A folder as a host shows it: names are Unicode (imapflow decodes modified UTF-7, RFC 3501 section 5.1.3). */
export interface FolderInfo {
  path: string;
  name: string;
  delimiter: string;
  /** RFC 6154 special use, such as \Sent, or null. */
  specialUse: string | null;
  flags: string[];
  subscribed: boolean;
}

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
