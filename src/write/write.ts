import { withCommandDeadline } from '../imap/command-deadline.js';
import { redactError } from '../config/redact.js';
import { assertRole, validateConfig } from '../config/validate-config.js';
import {
  isConnectorError,
  makeError,
  type ConnectorError,
  type ConnectorErrorJson,
} from '../errors.js';
import { openSession } from '../imap/open-session.js';
import type { OperationOptions } from '../operation-options.js';
import { AppendPipeline } from '../imap/append-pipeline.js';
import type { AppendManyResult, OutgoingMessage } from '../imap/append.js';
import type { Session } from '../imap/open-session.js';
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
    const index = await buildTargetFolderIndex(session, folder, mode, exists);
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
    const stopped = await storeInSteps(
      session,
      folder,
      toStore.map((i) => ({ index: i, message: messages[i]! })),
      (i, status) => (statuses[i] = status),
      options.signal,
    );
    result.results = statuses.filter(
      (status): status is WriteMessageResult => status !== undefined,
    );
    for (const status of result.results) {
      if (status.status === 'stored') result.stored++;
      else if (status.status === 'duplicate') result.duplicates++;
      else result.failed++;
    }
    if (stopped) throw stopped;
    return result;
  } catch (error) {
    throw session.asError(error).withDetails({ results: result.results });
  } finally {
    await session.close();
  }
}

// A step of the write: sent while the one before is answered, small enough that a stop waits
// for at most one (issue 24: a 120 MB write went on for 1.4 s after its abort).
const STEP_MESSAGES = 50;
const STEP_BYTES = 4 * 1024 * 1024;
// How long a stop waits for the step in flight to be answered before it cuts the connection.
const STOP_GRACE_MS = 400;

type Indexed = { index: number; message: OutgoingMessage };

function stepsOf(items: readonly Indexed[]): Indexed[][] {
  const steps: Indexed[][] = [];
  let bytes = 0;
  for (const item of items) {
    const last = steps.at(-1);
    if (!last || last.length >= STEP_MESSAGES || bytes + item.message.raw.length > STEP_BYTES) {
      steps.push([item]);
      bytes = item.message.raw.length;
    } else {
      last.push(item);
      bytes += item.message.raw.length;
    }
  }
  return steps;
}

/** The step's answer; undefined when a stop came and the answer did not follow within the grace. */
async function answeredOrStopped(
  answer: Promise<AppendManyResult>,
  signal: AbortSignal | undefined,
): Promise<AppendManyResult | undefined> {
  if (!signal) return answer;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const grace = new Promise<undefined>((resolve) => {
    onAbort = () => (timer = setTimeout(() => resolve(undefined), STOP_GRACE_MS));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([answer, grace]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

const stoppedWrite = (): ConnectorError =>
  makeError('ABORTED', 'The write was stopped; the results say which messages were stored.');

/**
 * Stores the messages a step at a time, the next step sent while the last is answered. A stop
 * sends nothing more and waits briefly for the steps in flight; what it cannot confirm is
 * reported failed with ABORTED (stored or not: a rerun skips what is there). Returns the error
 * that ended it early (a stop, or a fatal one such as a full mailbox), if any.
 */
async function storeInSteps(
  session: Session,
  folder: string,
  items: readonly Indexed[],
  record: (index: number, status: WriteMessageResult) => void,
  signal: AbortSignal | undefined,
): Promise<ConnectorError | undefined> {
  const pipeline = new AppendPipeline(session, folder);
  const pending = stepsOf(items);
  const inFlight: { step: Indexed[]; answer: Promise<AppendManyResult> }[] = [];
  const fail = (steps: Indexed[][], message: string): void => {
    for (const { index } of steps.flat())
      record(index, { index, status: 'failed', error: makeError('ABORTED', message).toJSON() });
  };
  while (pending.length > 0 || inFlight.length > 0) {
    while (!signal?.aborted && pending.length > 0 && inFlight.length < 2) {
      const step = pending.shift()!;
      inFlight.push({ step, answer: pipeline.send(step.map((item) => item.message)) });
    }
    if (inFlight.length === 0) break;
    const { step, answer } = inFlight.shift()!;
    const appended = await answeredOrStopped(answer, signal);
    if (!appended) {
      // The answer is late: cut the session rather than hold the caller; unknown outcomes.
      session.client.close();
      fail(
        [step, ...inFlight.map((sent) => sent.step)],
        'stopped while being stored: it may be there, and a new write skips it if so',
      );
      fail(pending, 'not sent: the write was stopped');
      return stoppedWrite();
    }
    appended.outcomes.forEach((outcome, n) => {
      const index = step[n]!.index;
      record(
        index,
        outcome.stored
          ? { index, status: 'stored', ...(outcome.uid === undefined ? {} : { uid: outcome.uid }) }
          : { index, status: 'failed', error: redactError(outcome.error, session.secrets) },
      );
    });
    if (appended.fatal?.code === 'ABORTED') {
      fail([step.slice(appended.outcomes.length), ...pending], 'not sent: the write was stopped');
      return stoppedWrite();
    }
    if (appended.fatal) return appended.fatal;
  }
  if (!signal?.aborted) return undefined;
  fail(pending, 'not sent: the write was stopped');
  return stoppedWrite();
}

/** The per-message results a failed write() had before it stopped (details.results), if any. */
export function partialWriteResults(error: unknown): WriteMessageResult[] | undefined {
  const results = isConnectorError(error) ? error.details?.results : undefined;
  return Array.isArray(results) ? (results as WriteMessageResult[]) : undefined;
}
