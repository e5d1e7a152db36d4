import { validateConfig } from '../config/validate-config.js';
import { withCommandDeadline } from '../imap/command-deadline.js';
import { listFolders } from '../imap/list-folders.js';
import { openSession, type Session } from '../imap/open-session.js';
import type { FolderInfo } from '../folder-info.js';
import type { OperationOptions } from '../operation-options.js';
import { parseQuery } from '../query/parse.js';
import { folderSelection, planFolders } from '../query/plan.js';

/** A source folder a batch will import, and how many messages it holds now. */
export interface FolderToImport {
  path: string;
  messages: number;
}

/**
 * The folders an import of this source mailbox reads (the query's and the copy settings'
 * folder patterns, as the import plans them), each with its STATUS MESSAGES: what `batch
 * check` lists, as the appliance's "folders ready for import" (issue 27).
 */
export async function foldersToImport(
  connection: Record<string, unknown>,
  query: string | undefined,
  options: OperationOptions,
): Promise<FolderToImport[]> {
  return withSourceFolders(connection, query, options, (session, folders) =>
    messageCounts(session, folders),
  );
}

/** The folders an import of this source reads, as the import plans them, with the session. */
export async function withSourceFolders<T>(
  connection: Record<string, unknown>,
  query: string | undefined,
  options: OperationOptions,
  work: (session: Session, folders: FolderInfo[]) => Promise<T>,
): Promise<T> {
  const config = validateConfig(connection);
  const structured = parseQuery(query ?? config.query ?? 'ALL');
  const session = await openSession(config, options);
  try {
    const plan = planFolders(await listFolders(session), folderSelection(structured, config));
    return await work(session, plan.folders);
  } finally {
    await session.close();
  }
}

/** STATUS MESSAGES of each folder, in order. */
export async function messageCounts(
  session: Session,
  folders: readonly Pick<FolderInfo, 'path'>[],
): Promise<FolderToImport[]> {
  const counts: FolderToImport[] = [];
  for (const folder of folders) {
    const status = await withCommandDeadline(session, 'STATUS', () =>
      session.client.status(folder.path, { messages: true }),
    );
    counts.push({ path: folder.path, messages: (status && status.messages) || 0 });
  }
  return counts;
}
