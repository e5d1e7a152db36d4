import { redactError } from '../config/redact.js';
import { validateConfig } from '../config/validate-config.js';
import { ConfigError, isConnectorError, type ConnectorErrorJson } from '../errors.js';
import { openSession } from '../imap/open-session.js';
import type { OperationOptions } from '../operation-options.js';
import { appendMessage, ensureFolder } from './append-message.js';
import { buildTargetFolderIndex } from './target-folder-index.js';
import { identify } from './message-identity.js';
import { parseWriteInput } from './write-input.js';

export interface WriteMessageResult {
  /** Position in input.messages. */
  index: number;
  status: 'stored' | 'duplicate' | 'failed';
  /** The new UID, when the server reports it (UIDPLUS). */
  uid?: number;
  error?: ConnectorErrorJson;
}

export interface WriteResult {
  folder: string;
  /** The folder did not exist and was created. */
  created: boolean;
  stored: number;
  duplicates: number;
  failed: number;
  results: WriteMessageResult[];
}

// A message the server refuses on its own merits; the rest of the batch still goes in.
const PER_MESSAGE = new Set(['MESSAGE_TOO_LARGE', 'APPEND_FAILED']);

/**
 * APPENDs messages into one folder of a target connection, skipping those already there
 * (the folder is indexed once, with one SEARCH and a bulk FETCH of header fields), keeping
 * flags and internal dates, creating the folder when missing. Running it again with the same
 * input stores nothing twice (unless dedupe is none).
 * @throws CONFIG_INVALID (input, or a connection without isTarget) before any I/O; OVER_QUOTA
 *   and session errors (CONNECTION_LOST, ...) stop the call, with details.results so far.
 */
export async function write(connection: unknown, input: unknown, options: OperationOptions = {}): Promise<WriteResult> {
  const config = validateConfig(connection);
  if (!config.isTarget) throw new ConfigError([{ field: '/isTarget', message: 'isTarget must be true to write to this connection' }]);
  const { folder, dedupe, messages } = parseWriteInput(input);
  const mode = dedupe ?? config.dedupe;
  const session = await openSession(config, options);
  const result: WriteResult = { folder, created: false, stored: 0, duplicates: 0, failed: 0, results: [] };
  try {
    const exists = (await session.client.list()).some((entry) => entry.path === folder || (folder.toUpperCase() === 'INBOX' && entry.path.toUpperCase() === 'INBOX'));
    if (!exists) {
      await ensureFolder(session, folder);
      result.created = true;
    }
    const index = await buildTargetFolderIndex(session, folder, mode, config.timeout, exists);
    const identities = messages.map((message) => identify(message.raw));
    const present = await index.contains(identities);
    for (const [i, message] of messages.entries()) {
      options.signal?.throwIfAborted();
      if (present[i] || (mode !== 'none' && (await index.contains([identities[i]!]))[0])) {
        result.duplicates++;
        result.results.push({ index: i, status: 'duplicate' });
        continue;
      }
      try {
        const appended = await appendMessage(session, folder, message);
        index.add(identities[i]!);
        result.stored++;
        result.results.push({ index: i, status: 'stored', ...(appended.uid === undefined ? {} : { uid: appended.uid }) });
      } catch (error) {
        if (!isConnectorError(error) || !PER_MESSAGE.has(error.code)) throw error;
        result.failed++;
        result.results.push({ index: i, status: 'failed', error: redactError(error, session.secrets) });
      }
    }
    return result;
  } catch (error) {
    if (isConnectorError(error)) Object.assign(error, { details: { ...error.details, results: result.results } });
    throw error;
  } finally {
    await session.close();
  }
}
