import { validateConfig } from '../config/validate-config.js';
import { withCommandDeadline } from '../imap/command-deadline.js';
import { listFolders } from '../imap/list-folders.js';
import { openSession } from '../imap/open-session.js';
import type { OperationOptions } from '../operation-options.js';

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
    let total = 0;
    for (const folder of await listFolders(session)) {
      if (folder.flags.some((flag) => /^\\(Noselect|NonExistent)$/i.test(flag))) continue;
      const status = await withCommandDeadline(session, 'STATUS', () =>
        session.client.status(folder.path, { messages: true }),
      );
      total += (status && status.messages) || 0;
    }
    return total;
  } finally {
    await session.close();
  }
}
