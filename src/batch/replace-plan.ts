import { existsSync } from 'node:fs';
import { validateConfig } from '../config/validate-config.js';
import type { FolderInfo } from '../folder-info.js';
import { listFolders } from '../imap/list-folders.js';
import { sameFolder } from '../imap/mailbox-name.js';
import { openSession } from '../imap/open-session.js';
import { prepareImport } from '../import/prepare-import.js';
import { jobRanBefore } from '../import/import-state.js';
import { pop3Folder } from '../import/pop3-message.js';
import type { OperationOptions } from '../operation-options.js';
import { targetDelimiter } from '../sinks/imap-sink.js';
import { hasTable, openSqliteFile } from '../sinks/sqlite-file.js';
import { mapFolder } from '../write/map-folder.js';
import type { MailboxJob } from './mailbox-jobs.js';
import { messageCounts, withSourceFolders, type FolderToImport } from './source-folders.js';

/**
 * What replace mode will remove from a destination mailbox, for `batch check`: each
 * destination folder the import writes that exists and holds mail, with its count now. Empty
 * when the job's state says it was replaced already or ran before (later runs remove nothing).
 */
export async function foldersToEmpty(
  job: MailboxJob,
  query: string | undefined,
  options: OperationOptions,
): Promise<FolderToImport[]> {
  if (removesNothing(job)) return [];
  const pop3 = job.spec.pop3;
  const sources = pop3
    ? [pop3Folder(pop3.folder ?? 'INBOX')]
    : await withSourceFolders(job.source, query, options, async (_s, folders) => folders);
  const session = await openSession(validateConfig(job.destination), options);
  try {
    const existing = await listFolders(session);
    const places = { delimiter: targetDelimiter(existing), folders: existing };
    const mapping = prepareImport(job.source, job.spec).mapping;
    const targets = new Map<string, Pick<FolderInfo, 'path'>>();
    for (const source of sources) {
      const path = mapFolder(source, places, mapping);
      const found = existing.find((folder) => sameFolder(folder.path, path));
      if (found) targets.set(found.path, found);
    }
    return (await messageCounts(session, [...targets.values()])).filter((f) => f.messages > 0);
  } finally {
    await session.close();
  }
}

/**
 * Whether the run will empty nothing: the batch's journal notes this mailbox's job as replaced,
 * or the job ran before without replace (import-destination.ts replaceOnce). Read-only; no lock.
 */
function removesNothing(job: MailboxJob): boolean {
  const spec = job.spec.destination;
  if (!('state' in spec) || !existsSync(spec.state)) return false;
  const db = openSqliteFile(spec.state, 'import state file', { readonly: true });
  try {
    const id = prepareImport(job.source, job.spec).job;
    return (
      (hasTable(db, 'import_replaced') &&
        db.prepare('SELECT 1 FROM import_replaced WHERE job = ?').get(id) !== undefined) ||
      jobRanBefore(db, id)
    );
  } finally {
    db.close();
  }
}
