/**
 * The messages of a page, fetched in batches and turned into rows, pipelined: the next batch
 * is asked for before the current one becomes rows, so the server works while the rows are
 * made (one command on the wire at a time, in order). The messages of a batch are collected
 * first: an IMAP command inside `for await` over fetch() deadlocks imapflow (imapflow#159, #219).
 */
import type { Config } from '../config/validate-config.js';
import type { FetchedMessage } from '../fetched-message.js';
import type { FolderInfo } from '../folder-info.js';
import { fetchMessages } from '../imap/fetch-messages.js';
import type { Session } from '../imap/open-session.js';
import { oversizedAmong } from '../imap/oversized.js';
import type { Pace } from '../imap/pace.js';
import { ENVELOPE_HEADERS, envelopeNeedsHeaders } from '../rows/header-envelope.js';
import type { RowContext } from '../rows/message-to-row.js';
import type { DigestedAttachments } from '../rows/full-body.js';
import { sleep } from '../sleep.js';
import { DROPPED_ROW, type ReadFaults } from './read-faults.js';
import { assembleRows, bodyOptionsOf, type FetchedBatch } from './assemble-rows.js';
import { fetchFields } from './fetch-fields.js';
import { addPartNames } from './part-names.js';
import { addParts, fetchFor } from './part-plan.js';
import type { ReadPlan } from './prepare-read.js';
import { INCOMPLETE_ANSWER, readWhatRemains } from './unreadable-messages.js';

// One UID FETCH per this many messages: few round trips, bounded memory per command.
export const FETCH_BATCH_SIZE = 100;

/** Where a page is read from: ReadContext has all of it. */
export interface PageSource {
  session: Session;
  pace: Pace;
  folders: FolderInfo[];
  plan: ReadPlan;
  config: Config;
  readFaults?: ReadFaults;
}

/** The FETCH items of a page's batches: as the select asks, and for oversized messages. */
interface BatchQueries {
  query: ReturnType<typeof fetchFields>;
  envelopeOnly: ReturnType<typeof fetchFields>;
  /** Body bytes are downloaded (raw, text or full): then maxMessageSize applies. */
  downloadsBodies: boolean;
}

/**
 * Messages without their source whose ENVELOPE cannot be trusted (placeholders, spoiled
 * text) get their subject and address header fields in one more FETCH: rows take those fields
 * from the bytes (rows/header-envelope.ts). Most batches have none and send nothing.
 */
async function addEnvelopeHeaders(session: Session, batch: FetchedMessage[]): Promise<void> {
  const doubtful = batch.filter(
    (message) => !message.source && envelopeNeedsHeaders(message.envelope),
  );
  await fetchFor(session, doubtful, { uid: true, headers: ENVELOPE_HEADERS }, (message, answer) => {
    if (answer?.headers) message.envelopeHeaders = answer.headers;
  });
}

/**
 * The messages of one batch as the select asks for them; oversized ones by their envelope,
 * and those whose FETCH failed alone by what a lighter FETCH still gives (with their problem).
 */
async function batchMessages(
  session: Session,
  wanted: number[],
  oversized: Set<number>,
  queries: BatchQueries,
): Promise<FetchedMessage[]> {
  const full = await fetchMessages(
    session,
    wanted.filter((uid) => !oversized.has(uid)),
    queries.query,
  );
  const light =
    oversized.size > 0
      ? await fetchMessages(session, [...oversized], queries.envelopeOnly)
      : { messages: [], incomplete: [], failed: [] };
  const failures = [
    ...full.failed,
    ...light.failed,
    ...[...full.incomplete, ...light.incomplete].map((uid) => ({
      uid,
      problem: INCOMPLETE_ANSWER,
    })),
  ];
  const remains = failures.length > 0 ? await readWhatRemains(session, failures) : [];
  return [...full.messages, ...light.messages, ...remains].sort((a, b) => a.uid - b.uid);
}

/**
 * Every command one batch of UIDs needs (the LARGER check, the FETCH, header fields and MIME
 * parts when asked for), after the delay between messages and the run's pace.
 */
async function fetchBatch(
  source: PageSource,
  wanted: number[],
  first: boolean,
  queries: BatchQueries,
): Promise<FetchedBatch> {
  const { session, plan, config } = source;
  const delayMs = config.delayBetweenMessagesMs;
  if (!first && delayMs > 0) await sleep(delayMs, session.signal);
  await source.pace.step(session.signal);
  // Bodies over maxMessageSize are never downloaded: those rows come from the envelope. Raw
  // rows download bodies in the batch's FETCH, so a SEARCH LARGER tells those apart first;
  // text and full rows fetch their parts afterwards, so the FETCH's RFC822.SIZE tells them.
  const searchFirst = Boolean(queries.query.source);
  const oversized = searchFirst
    ? await oversizedAmong(session, wanted, config.maxMessageSize)
    : new Set<number>();
  const messages = await batchMessages(session, wanted, oversized, queries);
  if (queries.downloadsBodies && !searchFirst)
    for (const message of messages)
      if ((message.size ?? 0) > config.maxMessageSize) oversized.add(message.uid);
  await addEnvelopeHeaders(session, messages);
  await addPartNames(session, messages);
  const digests = new Map<number, DigestedAttachments>();
  const wholeSource =
    plan.select.level === 'envelope'
      ? new Set<number>()
      : await addParts(
          session,
          messages.filter((message) => !oversized.has(message.uid)),
          plan.select.level === 'full' ? digests : undefined,
          bodyOptionsOf(plan),
        );
  return { messages, oversized, wholeSource, digests };
}

/** UID FETCH the given UIDs in batches and map them to rows, pipelined (see the file comment). */
export async function fetchRows(
  source: PageSource,
  uids: number[],
  ctx: RowContext,
): Promise<unknown[]> {
  const { select } = source.plan;
  const capabilities = source.session.client.capabilities;
  const query = fetchFields(select, capabilities);
  const queries: BatchQueries = {
    query,
    envelopeOnly: fetchFields({ ...select, level: 'envelope', raw: false }, capabilities),
    downloadsBodies: Boolean(query.source) || select.level !== 'envelope',
  };
  const batches = batchesOf(source, uids, ctx);
  const read = (b: number): Promise<FetchedBatch> =>
    givenUp(source, ctx, batches[b]!) ?? fetchBatch(source, batches[b]!, b === 0, queries);
  const rows: unknown[] = [];
  let next = batches.length > 0 ? read(0) : undefined;
  for (let b = 0; b < batches.length; b++) {
    const batch = await readingOf(source, ctx, batches[b]!, next!);
    next = b + 1 < batches.length ? read(b + 1) : undefined;
    // Observed at once: when making rows fails, the fetch in flight must not reject unheard.
    next?.catch(() => undefined);
    try {
      await assembleRows(source.plan, source.config, batch, ctx, rows);
    } catch (error) {
      // The session stays the caller's to close or reuse: let the command in flight end.
      await next?.catch(() => undefined);
      throw error;
    }
  }
  return rows;
}

/**
 * The UIDs in batches of FETCH_BATCH_SIZE (1 with a delay between messages); a message read
 * when the connection dropped before goes alone (read-faults.ts).
 */
function batchesOf(source: PageSource, uids: number[], ctx: RowContext): number[][] {
  const batchSize = source.config.delayBetweenMessagesMs > 0 ? 1 : FETCH_BATCH_SIZE;
  const alone = (uid: number): boolean =>
    source.readFaults?.readsAlone(ctx.folder, ctx.uidValidity, uid) === true;
  const batches: number[][] = [];
  let current: number[] = [];
  for (const uid of uids) {
    const single = alone(uid);
    if (single || current.length >= batchSize) {
      if (current.length > 0) batches.push(current);
      current = [];
    }
    current.push(uid);
    if (single) {
      batches.push(current);
      current = [];
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * A message given up on (its FETCH dropped the connection until the reconnects would be spent):
 * its row, without a FETCH.
 */
function givenUp(
  source: PageSource,
  ctx: RowContext,
  uids: readonly number[],
): Promise<FetchedBatch> | undefined {
  const uid = uids[0]!;
  if (uids.length !== 1 || !source.readFaults?.givenUp(ctx.folder, ctx.uidValidity, uid))
    return undefined;
  const message = { uid, problem: DROPPED_ROW } as FetchedMessage;
  return Promise.resolve({
    messages: [message],
    oversized: new Set<number>(),
    wholeSource: new Set<number>(),
    digests: new Map(),
  });
}

/** Awaits a batch's FETCH through the read's ReadFaults, when it has them. */
function readingOf<T>(
  source: PageSource,
  ctx: RowContext,
  uids: readonly number[],
  work: Promise<T>,
): Promise<T> {
  const place = {
    folder: ctx.folder,
    uidValidity: ctx.uidValidity,
    asError: source.session.asError,
  };
  return source.readFaults ? source.readFaults.reading(place, uids, work) : work;
}
