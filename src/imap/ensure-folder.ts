import { redactText } from '../config/redact.js';
import { makeError } from '../errors.js';
import { withCommandDeadline } from './command-deadline.js';
import type { Session } from './open-session.js';

/** Creates the folder (and, on servers that need it, its parents); an existing one is fine. */
export async function ensureFolder(session: Session, folder: string): Promise<void> {
  try {
    await withCommandDeadline(session, 'CREATE', () => session.client.mailboxCreate(folder));
  } catch (error) {
    const raw = error as {
      serverResponseCode?: string;
      responseText?: string;
      responseStatus?: string;
    };
    if (raw.serverResponseCode?.toUpperCase() === 'ALREADYEXISTS') return;
    // Only the server's refusal is the folder's: a connection lost meanwhile is a fault to
    // reconnect from, not a folder that cannot be created.
    if (raw.responseStatus === undefined) throw session.asError(error);
    throw makeError(
      'APPEND_FAILED',
      `The folder ${JSON.stringify(folder)} does not exist and could not be created${raw.responseText ? `: ${redactText(raw.responseText, session.secrets)}` : ''}.`,
      {
        details: {
          folder,
          ...(raw.serverResponseCode ? { serverResponseCode: raw.serverResponseCode } : {}),
        },
        cause: error,
      },
    );
  }
}
