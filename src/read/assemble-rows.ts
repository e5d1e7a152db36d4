/**
 * A fetched batch -> rows: each message's body from its parts (or its whole source), its row,
 * warnings for what was left out, the projection. No IMAP command: it runs while the next
 * batch is being fetched.
 */
import type { Config } from '../config/validate-config.js';
import type { FetchedMessage } from '../fetched-message.js';
import { oversizedWarning } from '../imap/oversized.js';
import { fullBody, type DigestedAttachments } from '../rows/full-body.js';
import { messageToRow, type RowContext } from '../rows/message-to-row.js';
import { parseBody, type ParseBodyOptions, type ParsedBody } from '../rows/parse-body.js';
import { textBody } from '../rows/text-body.js';
import type { ReadPlan } from './prepare-read.js';

/** One batch as the server gave it: its messages, and which were too big or parsed whole. */
export interface FetchedBatch {
  messages: FetchedMessage[];
  oversized: Set<number>;
  wholeSource: Set<number>;
  /** Full rows: each message's attachments, digested when their parts arrived. */
  digests: Map<number, DigestedAttachments>;
}

/** How a select's bodies are made: with attachment content up to a size, when it asks. */
export function bodyOptionsOf(plan: ReadPlan): ParseBodyOptions {
  const max = plan.select.attachmentContentMaxBytes;
  return max === undefined ? {} : { attachmentContentMaxBytes: max };
}

const NO_BODY: ParsedBody = { text: null, html: null, attachments: null, warnings: [] };

/** A message's body for its row, or undefined for envelope rows and oversized messages. */
async function bodyOf(
  message: FetchedMessage,
  plan: ReadPlan,
  batch: FetchedBatch,
): Promise<ParsedBody | undefined> {
  const level = plan.select.level;
  if (level === 'envelope' || batch.oversized.has(message.uid)) return undefined;
  // A message that failed alone has what could be read, and no body: text and html are null.
  if (message.problem) return { ...NO_BODY, warnings: [] };
  const whole = batch.wholeSource.has(message.uid);
  const body =
    whole && message.source
      ? await parseBody(message.source, bodyOptionsOf(plan))
      : level === 'text'
        ? textBody(message)
        : fullBody(message, bodyOptionsOf(plan), batch.digests.get(message.uid));
  if (whole)
    body.warnings.push(
      'no usable BODYSTRUCTURE or text part from the server: text and html parsed from the whole source',
    );
  return body;
}

// How long rows are made before the event loop gets a turn (see assembleRows).
const ROWS_SLICE_MS = 4;

/** Resolves after the event loop's I/O phase has run: socket data waiting is handled first. */
export function ioTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Appends the rows of `batch` (after the projection, which may drop some) to `rows`. Making
 * rows is CPU work while the next batch is being fetched: every few milliseconds the event loop
 * gets a turn, so that batch's answers are parsed and its next command (the part FETCH) is
 * sent now, and the server works on it while these rows are made rather than after.
 */
export async function assembleRows(
  plan: ReadPlan,
  config: Config,
  batch: FetchedBatch,
  ctx: RowContext,
  rows: unknown[],
): Promise<void> {
  let sliceStart = performance.now();
  for (const message of batch.messages) {
    if (performance.now() - sliceStart > ROWS_SLICE_MS) {
      await ioTurn();
      sliceStart = performance.now();
    }
    const row = messageToRow(message, ctx, await bodyOf(message, plan, batch), plan.select.headers);
    if (batch.oversized.has(message.uid))
      row.parseWarnings.push(oversizedWarning(message.size, config.maxMessageSize));
    if (plan.select.raw && message.source) row.raw = message.source.toString('base64');
    const projected = plan.select.projection ? await plan.select.projection.evaluate(row) : row;
    if (projected !== undefined) rows.push(projected);
  }
}
