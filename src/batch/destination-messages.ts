import { validateConfig } from '../config/validate-config.js';
import { listFolders } from '../imap/list-folders.js';
import { openSession } from '../imap/open-session.js';
import type { OperationOptions } from '../operation-options.js';
import { messageCounts } from './source-folders.js';

/**
 * How many messages a destination mailbox holds, over all its selectable folders (LIST, then
 * STATUS MESSAGES per folder): for `existing: skip`, which leaves mailboxes that hold mail alone.
 */
export async function destinationMessageCount(
  connection: Record<string, unknown>,
  options: OperationOptions,
): Promise<number> {
  const session = await openSession(validateConfig(connection), options);
  try {
    const selectable = (await listFolders(session)).filter(
      (folder) => !folder.flags.some((flag) => /^\\(Noselect|NonExistent)$/i.test(flag)),
    );
    const counts = await messageCounts(session, selectable);
    return counts.reduce((total, folder) => total + folder.messages, 0);
  } finally {
    await session.close();
  }
}
