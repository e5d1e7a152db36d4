import { redactError } from '../config/redact.js';
import { makeError, type ConnectorError } from '../errors.js';
import { AppendPipeline } from '../imap/append-pipeline.js';
import type { AppendManyResult, HeldMessage } from '../imap/append.js';
import type { Session } from '../imap/open-session.js';
import type { WriteMessageResult } from './write-result.js';

// A step of the write: sent while the one before is answered, small enough that a stop waits
// for at most one (issue 24: a 120 MB write went on for 1.4 s after its abort).
const STEP_MESSAGES = 50;
const STEP_BYTES = 4 * 1024 * 1024;
const STEPS_IN_FLIGHT = 2;
// How long a stop waits for the step in flight to be answered before it cuts the connection.
const STOP_GRACE_MS = 400;

export type NumberedMessage = { index: number; message: HeldMessage };
type Record = (index: number, status: WriteMessageResult) => void;

/**
 * Stores the messages a step at a time, the next step sent while the last is answered. A stop
 * sends nothing more and waits briefly for the steps in flight; what it cannot confirm is
 * reported failed with ABORTED (stored or not: a rerun skips what is there). Returns the error
 * that ended it early (a stop, or a fatal one such as a full mailbox), if any.
 */
export async function storeInSteps(
  session: Session,
  folder: string,
  items: readonly NumberedMessage[],
  record: Record,
  signal: AbortSignal | undefined,
): Promise<ConnectorError | undefined> {
  const pipeline = new AppendPipeline(session, folder);
  const pending = stepsOf(items);
  const inFlight: { step: NumberedMessage[]; answer: Promise<AppendManyResult> }[] = [];
  while (pending.length > 0 || inFlight.length > 0) {
    while (!signal?.aborted && pending.length > 0 && inFlight.length < STEPS_IN_FLIGHT) {
      const step = pending.shift()!;
      inFlight.push({ step, answer: pipeline.send(step.map((item) => item.message)) });
    }
    if (inFlight.length === 0) break;
    const { step, answer } = inFlight.shift()!;
    const appended = await answeredOrStopped(answer, signal);
    if (!appended) {
      // The answer is late: cut the session rather than hold the caller; unknown outcomes.
      session.client.close();
      const unknown = [step, ...inFlight.map((sent) => sent.step)];
      failAll(
        unknown,
        record,
        'stopped while being stored: it may be there, and a new write skips it if so',
      );
      return stopped(pending, record);
    }
    recordStep(step, appended, record, session.secrets);
    if (appended.fatal?.code === 'ABORTED')
      return stopped([step.slice(appended.outcomes.length), ...pending], record);
    if (appended.fatal) return appended.fatal;
  }
  return signal?.aborted ? stopped(pending, record) : undefined;
}

function stepsOf(items: readonly NumberedMessage[]): NumberedMessage[][] {
  const steps: NumberedMessage[][] = [];
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

function recordStep(
  step: readonly NumberedMessage[],
  appended: AppendManyResult,
  record: Record,
  secrets: readonly string[],
): void {
  appended.outcomes.forEach((outcome, n) => {
    const index = step[n]!.index;
    record(
      index,
      outcome.stored
        ? { index, status: 'stored', ...(outcome.uid === undefined ? {} : { uid: outcome.uid }) }
        : { index, status: 'failed', error: redactError(outcome.error, secrets) },
    );
  });
}

function failAll(steps: readonly NumberedMessage[][], record: Record, message: string): void {
  for (const { index } of steps.flat())
    record(index, { index, status: 'failed', error: makeError('ABORTED', message).toJSON() });
}

/** The steps never sent are reported as such; the write ends ABORTED. */
function stopped(unsent: readonly NumberedMessage[][], record: Record): ConnectorError {
  failAll(unsent, record, 'not sent: the write was stopped');
  return makeError('ABORTED', 'The write was stopped; the results say which messages were stored.');
}
