import { validateConfig } from '../../src/config/validate-config.js';
import { openSession, type Session } from '../../src/imap/open-session.js';
import { makeConfig } from './make-config.js';

/**
 * Runs `work` on a session with `folder` selected read-only. The bulk parser logs each tagged
 * answer as it reads it: those land in `order` as 'tagged', so a test can place its own
 * events before or after the end of a command.
 */
export async function withNotedSession<T>(
  user: { name: string; password: string },
  folder: string,
  work: (session: Session, order: string[], uids: number[]) => Promise<T>,
): Promise<T> {
  const order: string[] = [];
  const log = (entry: Record<string, unknown>): void => {
    if (entry.src === 'connector:s') order.push('tagged');
  };
  const session = await openSession(validateConfig(makeConfig(user)), {
    logger: { debug: log, info: log, warn: log, error: log },
  });
  try {
    const lock = await session.client.getMailboxLock(folder, { readOnly: true });
    try {
      const uids = (await session.client.search({ all: true }, { uid: true })) as number[];
      return await work(session, order, uids);
    } finally {
      lock.release();
    }
  } finally {
    await session.close();
  }
}
