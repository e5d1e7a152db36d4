import { withCommandDeadline } from '../imap/command-deadline.js';
import { redactError } from '../config/redact.js';
import { assertRole, validateConfig } from '../config/validate-config.js';
import { isConnectorError, makeError, type ConnectorErrorJson } from '../errors.js';
import { openSession } from '../imap/open-session.js';
import type { OperationOptions } from '../operation-options.js';
import { AppendPipeline } from '../imap/append-pipeline.js';
import { ensureFolder } from '../imap/ensure-folder.js';
import { buildTargetFolderIndex } from './target-folder-index.js';
import { sameFolder } from '../imap/mailbox-name.js';
import { BatchDedupe, identify } from './message-identity.js';
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

/**
 * APPENDs messages into one folder of a target connection, skipping those already there
 * (the folder is indexed once, with one SEARCH and a bulk FETCH of header fields), keeping
 * flags and internal dates, creating the folder when missing. Running it again with the same
 * input stores nothing twice (unless dedupe is none).
 * @throws CONFIG_INVALID (input, or a connection without isTarget) before any I/O; OVER_QUOTA
 *   and session errors (CONNECTION_LOST, ...) stop the call, with details.results so far.
 */
export async function write(
  connection: unknown,
  input: unknown,
  options: OperationOptions = {},
): Promise<WriteResult> {
  const config = validateConfig(connection);
  assertRole(config, 'target');
  const { folder, dedupe, messages } = parseWriteInput(input);
  const mode = dedupe ?? config.dedupe;
  const session = await openSession(config, options);
  const result: WriteResult = {
    folder,
    created: false,
    stored: 0,
    duplicates: 0,
    failed: 0,
    results: [],
  };
  try {
    const exists = (await withCommandDeadline(session, 'LIST', () => session.client.list())).some(
      (entry) => sameFolder(entry.path, folder),
    );
    if (!exists) {
      await ensureFolder(session, folder);
      result.created = true;
    }
    const index = await buildTargetFolderIndex(session, folder, mode, config.timeout, exists);
    const identities = messages.map((message) => identify(message.raw));
    const present = await index.contains(identities);
    const batch = new BatchDedupe(mode);
    const toStore: number[] = [];
    const statuses: (WriteMessageResult | undefined)[] = messages.map((_, i) => {
      if (batch.isDuplicate(identities[i]!, present[i] === true))
        return { index: i, status: 'duplicate' };
      toStore.push(i);
      return undefined;
    });
    if (options.signal?.aborted)
      throw makeError('ABORTED', 'The write was cancelled before any message was sent.');
    const appended = await new AppendPipeline(session, folder).send(
      toStore.map((i) => messages[i]!),
    );
    appended.outcomes.forEach((outcome, n) => {
      const i = toStore[n]!;
      statuses[i] = outcome.stored
        ? { index: i, status: 'stored', ...(outcome.uid === undefined ? {} : { uid: outcome.uid }) }
        : { index: i, status: 'failed', error: redactError(outcome.error, session.secrets) };
    });
    result.results = statuses.filter(
      (status): status is WriteMessageResult => status !== undefined,
    );
    for (const status of result.results) {
      if (status.status === 'stored') result.stored++;
      else if (status.status === 'duplicate') result.duplicates++;
      else result.failed++;
    }
    if (appended.fatal) throw appended.fatal;
    return result;
  } catch (error) {
    throw session.asError(error).withDetails({ results: result.results });
  } finally {
    await session.close();
  }
}

/** The per-message results a failed write() had before it stopped (details.results), if any. */
export function partialWriteResults(error: unknown): WriteMessageResult[] | undefined {
  const results = isConnectorError(error) ? error.details?.results : undefined;
  return Array.isArray(results) ? (results as WriteMessageResult[]) : undefined;
}
