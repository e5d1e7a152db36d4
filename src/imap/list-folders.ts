import type { FolderInfo } from '../folder-info.js';
import { withCommandDeadline } from './command-deadline.js';
import type { Session } from './open-session.js';

export type { FolderInfo };

/** LIST every folder, INBOX first, then by path, so results are the same on every run. */
export async function listFolders(
  session: Pick<Session, 'client' | 'commandTimeoutMs'>,
): Promise<FolderInfo[]> {
  const entries = await withCommandDeadline(session, 'LIST', () => session.client.list());
  return entries
    .map((entry) => ({
      path: entry.path,
      name: entry.name,
      delimiter: entry.delimiter,
      specialUse: entry.specialUse ?? null,
      specialUseFromServer: Boolean(entry.specialUse) && entry.specialUseSource !== 'name',
      flags: [...entry.flags].sort(),
      subscribed: entry.subscribed,
    }))
    .sort((a, b) =>
      a.path === 'INBOX'
        ? -1
        : b.path === 'INBOX'
          ? 1
          : a.path < b.path
            ? -1
            : a.path > b.path
              ? 1
              : 0,
    );
}
