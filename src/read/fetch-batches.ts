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
import type { ReadFaults } from './read-faults.js';
import {
  batchesOf,
  fetchOrder,
  givenUpBatch,
  proveFirst,
  readingOf,
  waitTurn,
} from './page-batches.js';
import { assembleRows, bodyOptionsOf, type FetchedBatch } from './assemble-rows.js';
import { fetchFields } from './fetch-fields.js';
import { addPartNames } from './part-names.js';
import { addParts, fetchFor } from './part-plan.js';
import type { ReadPlan } from './prepare-read.js';
import { INCOMPLETE_ANSWER, readWhatRemains } from './unreadable-messages.js';

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
  await waitTurn(source, first);
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

/** The FETCH items of a read's batches (BatchQueries). */
function queriesOf(source: PageSource): BatchQueries {
  const { select } = source.plan;
  const capabilities = source.session.client.capabilities;
  const query = fetchFields(select, capabilities);
  return {
    query,
    envelopeOnly: fetchFields({ ...select, level: 'envelope', raw: false }, capabilities),
    downloadsBodies: Boolean(query.source) || select.level !== 'envelope',
  };
}

/** Rows of a page's UIDs; with `deferLast`, the last batches fetched but not yet made rows. */
export interface FetchedRows {
  rows: unknown[];
  /** Makes the rest of the rows (CPU only, no IMAP command): see fetchRows' `deferLast`. */
  later?: () => Promise<unknown[]>;
}

/**
 * UID FETCH the given UIDs in batches and map them to rows, pipelined (see the file comment).
 * With `deferLast` the batches still waiting after the last FETCH are not made rows here but by
 * `later`: readStream makes them while its next page is being fetched, so the server answers
 * that page while these rows are made.
 */
export async function fetchRows(
  source: PageSource,
  uids: number[],
  ctx: RowContext,
  deferLast = false,
): Promise<FetchedRows> {
  const queries = queriesOf(source);
  const batches = batchesOf(source, uids, ctx);
  const order = fetchOrder(source, ctx, batches);
  await proveFirst(source, ctx, batches, order);
  const read = (b: number, first: boolean): Promise<FetchedBatch> =>
    givenUpBatch(source, ctx, batches[b]!, first) ??
    fetchBatch(source, batches[b]!, first, queries);
  const rows: unknown[] = [];
  // A batch fetched before its turn (fetchOrder) waits here: rows stay in UID order.
  const waiting = new Map<number, FetchedBatch>();
  let turn = 0;
  let next = order.length > 0 ? read(order[0]!, true) : undefined;
  for (let k = 0; k < order.length; k++) {
    const b = order[k]!;
    waiting.set(b, await readingOf(source, ctx, batches[b]!, next!));
    next = k + 1 < order.length ? read(order[k + 1]!, false) : undefined;
    if (!next && deferLast) break;
    // Observed at once: when making rows fails, the fetch in flight must not reject unheard.
    next?.catch(() => undefined);
    try {
      for (let batch = waiting.get(turn); batch; batch = waiting.get(++turn)) {
        waiting.delete(turn);
        await assembleRows(source.plan, source.config, batch, ctx, rows);
      }
    } catch (error) {
      // The session stays the caller's to close or reuse: let the command in flight end.
      await next?.catch(() => undefined);
      throw error;
    }
  }
  return waiting.size === 0 ? { rows } : { rows, later: () => rowsOf(source, ctx, waiting) };
}

/** The rows of fetched batches, in UID order (fetchRows' `later`: every batch is fetched). */
async function rowsOf(
  source: PageSource,
  ctx: RowContext,
  batches: ReadonlyMap<number, FetchedBatch>,
): Promise<unknown[]> {
  const rows: unknown[] = [];
  for (const b of [...batches.keys()].sort((x, y) => x - y))
    await assembleRows(source.plan, source.config, batches.get(b)!, ctx, rows);
  return rows;
}
