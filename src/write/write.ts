import { withCommandDeadline } from '../imap/command-deadline.js';
import { assertRole, validateConfig } from '../config/validate-config.js';
import { makeError } from '../errors.js';
import type { WriteMessageResult, WriteResult } from './write-result.js';
import { openSession, type Session } from '../imap/open-session.js';
import type { OperationOptions } from '../operation-options.js';
import { storableFlags, type HeldMessage } from '../imap/append.js';
import { permanentFlagsOfFolder, splitByPermanence } from '../imap/permanent-flags.js';
import { storeInSteps } from './store-in-steps.js';
import { ensureFolder } from '../imap/ensure-folder.js';
import { buildTargetFolderIndex } from './target-folder-index.js';
import { sameFolder } from '../imap/mailbox-name.js';
import { BatchDedupe, identify, type DedupeMode } from './message-identity.js';
import { parseWriteInput } from './write-input.js';
import type { DedupeIndex } from './dedupe-index.js';

export type { WriteMessageResult, WriteResult } from './write-result.js';

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
    result.created = await createdIfMissing(session, folder);
    const index = await buildTargetFolderIndex(session, folder, mode, !result.created);
    const { statuses, toStore } = await skipPresent(messages, mode, index);
    if (options.signal?.aborted)
      throw makeError('ABORTED', 'The write was cancelled before any message was sent.');
    const stopped = await storeInSteps(
      session,
      folder,
      toStore.map((i) => ({ index: i, message: messages[i]! })),
      (i, status) => (statuses[i] = status),
      options.signal,
    );
    if (!stopped && toStore.length > 0) await sayFlagsLeftOut(session, folder, messages, statuses);
    result.results = statuses.filter(isResult);
    Object.assign(result, countsOf(result.results));
    if (stopped) throw stopped;
    return result;
  } catch (error) {
    throw session.asError(error).withDetails({ results: result.results });
  } finally {
    await session.close();
  }
}

const isResult = (status: WriteMessageResult | undefined): status is WriteMessageResult =>
  status !== undefined;

/**
 * Marks each stored message's flags the folder cannot keep: the server drops them from the
 * APPEND without a word (and the APPEND leaves them out), so the result says it.
 */
async function sayFlagsLeftOut(
  session: Session,
  folder: string,
  messages: readonly HeldMessage[],
  statuses: (WriteMessageResult | undefined)[],
): Promise<void> {
  const permanent = await permanentFlagsOfFolder(session, folder);
  for (const status of statuses) {
    if (status?.status !== 'stored') continue;
    const flags = storableFlags(messages[status.index]!, undefined);
    const { leftOut } = splitByPermanence(permanent, flags);
    if (leftOut.length > 0) status.flagsLeftOut = leftOut;
  }
}

/** Creates the folder when it is missing; true if it did. */
async function createdIfMissing(session: Session, folder: string): Promise<boolean> {
  const folders = await withCommandDeadline(session, 'LIST', () => session.client.list());
  if (folders.some((entry) => sameFolder(entry.path, folder))) return false;
  await ensureFolder(session, folder);
  return true;
}

/** Which messages are there already (duplicates, with their status) and which to store. */
async function skipPresent(
  messages: readonly HeldMessage[],
  mode: DedupeMode,
  index: DedupeIndex,
): Promise<{ statuses: (WriteMessageResult | undefined)[]; toStore: number[] }> {
  const identities = messages.map((message) => identify(message.raw));
  const present = await index.contains(identities);
  const batch = new BatchDedupe(mode);
  const toStore: number[] = [];
  const statuses = messages.map((_, i): WriteMessageResult | undefined => {
    if (batch.isDuplicate(identities[i]!, present[i] === true))
      return { index: i, status: 'duplicate' };
    toStore.push(i);
    return undefined;
  });
  return { statuses, toStore };
}

function countsOf(
  results: readonly WriteMessageResult[],
): Pick<WriteResult, 'stored' | 'duplicates' | 'failed'> {
  const count = (status: WriteMessageResult['status']): number =>
    results.filter((result) => result.status === status).length;
  return { stored: count('stored'), duplicates: count('duplicate'), failed: count('failed') };
}
