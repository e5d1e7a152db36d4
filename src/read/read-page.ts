import type { Config } from '../config/validate-config.js';
import { makeError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import { fetchMessages } from '../imap/fetch-messages.js';
import type { Session } from '../imap/open-session.js';
import type { Pace } from '../imap/pace.js';
import { oversizedAmong, oversizedWarning } from '../imap/oversized.js';
import { uidsAbove } from '../imap/uid-search.js';
import { uidValidityOf } from '../imap/uid-validity.js';
import { withMailbox } from '../imap/with-mailbox.js';
import type { FetchedMessage } from '../fetched-message.js';
import { ENVELOPE_HEADERS, envelopeNeedsHeaders } from '../rows/header-envelope.js';
import { messageToRow, type RowContext } from '../rows/message-to-row.js';
import { parseBody, type ParseBodyOptions } from '../rows/parse-body.js';
import { digestAttachments, fullBody, type DigestedAttachments } from '../rows/full-body.js';
import { attachmentNodes } from '../rows/attachments.js';
import { textBody } from '../rows/text-body.js';
import { textParts } from '../rows/text-parts.js';
import { sleep } from '../sleep.js';
import type { CursorState } from './cursor.js';
import { fetchFields } from './fetch-fields.js';
import type { ReadPlan } from './prepare-read.js';

// One UID FETCH per this many messages: few round trips, bounded memory per command.
export const FETCH_BATCH_SIZE = 100;

export interface UidValidityChange {
  folder: string;
  previous: string;
  current: string;
}

/**
 * UID SEARCH results kept for the life of one session (readStream), so a run searches each
 * folder once rather than once per page; a page that finds the list used up searches again,
 * which also picks up mail that arrived meanwhile.
 */
export type SearchCache = Map<string, { uidValidity: string; uids: number[] }>;

export interface PageOptions {
  pageSize: number;
  searchCache?: SearchCache;
  /** What to do when a folder's UIDVALIDITY changed since the cursor: re-read it (default) or fail. */
  onUidValidityChange?: 'reread' | 'fail' | undefined;
}

/** One page: rows in folder order then UID order, the state after them, and what happened. */
export interface Page {
  rows: unknown[];
  /** Messages read for the page (rows may be fewer: a projection can filter). */
  messages: number;
  state: CursorState;
  uidValidityChanged: UidValidityChange[];
  warnings: string[];
}

/** One batch as the server gave it: its messages, and which were too big or parsed whole. */
interface FetchedBatch {
  messages: FetchedMessage[];
  oversized: Set<number>;
  wholeSource: Set<number>;
  /** Full rows: each message's attachments, digested when their parts arrived. */
  digests: Map<number, DigestedAttachments>;
}

/** How a select's bodies are made: with attachment content up to a size, when it asks. */
function bodyOptionsOf(plan: ReadPlan): ParseBodyOptions {
  const max = plan.select.attachmentContentMaxBytes;
  return max === undefined ? {} : { attachmentContentMaxBytes: max };
}

/** The FETCH items of a page's batches: as the select asks, and for oversized messages. */
interface BatchQueries {
  query: ReturnType<typeof fetchFields>;
  envelopeOnly: ReturnType<typeof fetchFields>;
  /** Body bytes are downloaded (raw, text or full): then maxMessageSize applies. */
  downloadsBodies: boolean;
}

/**
 * Every command one batch of UIDs needs (the LARGER check, the FETCH, header fields and MIME
 * parts when asked for), after the delay between messages and the run's pace.
 */
async function fetchBatch(
  run: PageRun,
  wanted: number[],
  first: boolean,
  queries: BatchQueries,
): Promise<FetchedBatch> {
  const { session, plan, config } = run;
  const delayMs = config.delayBetweenMessagesMs;
  if (!first && delayMs > 0) await sleep(delayMs, session.signal);
  await run.pace.step(session.signal);
  // Bodies over maxMessageSize are never downloaded: those rows come from the envelope.
  const oversized = queries.downloadsBodies
    ? await oversizedAmong(session, wanted, config.maxMessageSize)
    : new Set<number>();
  const full = await fetchMessages(
    session,
    wanted.filter((uid) => !oversized.has(uid)),
    queries.query,
  );
  const light =
    oversized.size > 0
      ? await fetchMessages(session, [...oversized], queries.envelopeOnly)
      : { messages: [], incomplete: [] };
  const incomplete = [...full.incomplete, ...light.incomplete];
  if (incomplete.length > 0) throw incompleteError(incomplete);
  const messages = [...full.messages, ...light.messages].sort((a, b) => a.uid - b.uid);
  await addEnvelopeHeaders(session, messages);
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

/** A fetched batch -> rows (no IMAP command: it runs while the next batch is fetched). */
async function batchRows(
  run: PageRun,
  batch: FetchedBatch,
  ctx: RowContext,
  rows: unknown[],
): Promise<void> {
  const { plan, config } = run;
  const { oversized, wholeSource, digests } = batch;
  const bodyOptions = bodyOptionsOf(plan);
  for (const message of batch.messages) {
    // An oversized message's row comes from its envelope: none of its parts was fetched.
    const body = oversized.has(message.uid)
      ? undefined
      : wholeSource.has(message.uid) && message.source
        ? await parseBody(message.source, bodyOptions)
        : plan.select.level === 'text'
          ? textBody(message)
          : plan.select.level === 'full'
            ? fullBody(message, bodyOptions, digests.get(message.uid))
            : undefined;
    if (wholeSource.has(message.uid))
      body?.warnings.push(
        'no usable BODYSTRUCTURE or text part from the server: text and html parsed from the whole source',
      );
    const row = messageToRow(message, ctx, body, plan.select.headers);
    if (oversized.has(message.uid))
      row.parseWarnings.push(oversizedWarning(message.size, config.maxMessageSize));
    if (plan.select.raw && message.source) row.raw = message.source.toString('base64');
    const projected = plan.select.projection ? await plan.select.projection.evaluate(row) : row;
    if (projected !== undefined) rows.push(projected);
  }
}

/**
 * UID FETCH the given UIDs in batches and map them to rows, pipelined: the next batch is asked
 * for before the current one becomes rows, so the server works while the rows are made (one
 * command on the wire at a time, in order). The messages of a batch are collected first: an
 * IMAP command inside `for await` over fetch() deadlocks imapflow (imapflow#159, #219).
 */
async function fetchRows(run: PageRun, uids: number[], ctx: RowContext): Promise<unknown[]> {
  const { select } = run.plan;
  const capabilities = run.session.client.capabilities;
  const query = fetchFields(select, capabilities);
  const queries: BatchQueries = {
    query,
    envelopeOnly: fetchFields({ ...select, level: 'envelope', raw: false }, capabilities),
    downloadsBodies: Boolean(query.source) || select.level !== 'envelope',
  };
  const batchSize = run.config.delayBetweenMessagesMs > 0 ? 1 : FETCH_BATCH_SIZE;
  const batches: number[][] = [];
  for (let i = 0; i < uids.length; i += batchSize) batches.push(uids.slice(i, i + batchSize));
  const rows: unknown[] = [];
  let next = batches.length > 0 ? fetchBatch(run, batches[0]!, true, queries) : undefined;
  for (let b = 0; b < batches.length; b++) {
    const batch = await next!;
    next = b + 1 < batches.length ? fetchBatch(run, batches[b + 1]!, false, queries) : undefined;
    // Observed at once: when making rows fails, the fetch in flight must not reject unheard.
    next?.catch(() => undefined);
    try {
      await batchRows(run, batch, ctx, rows);
    } catch (error) {
      // The session stays the caller's to close or reuse: let the command in flight end.
      await next?.catch(() => undefined);
      throw error;
    }
  }
  return rows;
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
 * One more UID FETCH for `messages`; `take` gets each of them with its answer (undefined when
 * the server gave none with every item asked for). Nothing is sent for no messages.
 */
async function fetchFor(
  session: Session,
  messages: FetchedMessage[],
  query: Parameters<typeof fetchMessages>[2],
  take: (message: FetchedMessage, answer: FetchedMessage | undefined) => void,
): Promise<void> {
  if (messages.length === 0) return;
  const fetched = await fetchMessages(
    session,
    messages.map((message) => message.uid),
    query,
  );
  const byUid = new Map(fetched.messages.map((message) => [message.uid, message]));
  for (const message of messages) take(message, byUid.get(message.uid));
}

/**
 * Part bytes one UID FETCH may bring (encoded sizes from BODYSTRUCTURE): with attachments
 * digested as each answer arrives, a full read holds about this much part data, whatever the
 * attachment mix (one message larger than it goes alone).
 */
export const PART_FETCH_BUDGET_BYTES = 16 * 1024 * 1024;

/** The sections one message needs for its row, and what they cost to fetch. */
interface WantedParts {
  message: FetchedMessage;
  sections: string[];
  bytes: number;
  /** Attachment sections that are no text part: dropped once digested. */
  attachmentOnly: string[];
}

function wantedParts(message: FetchedMessage, attachments: boolean): WantedParts {
  const parts = textParts(message.bodyStructure);
  const text = [...parts.text, ...parts.html];
  const textSections = new Set(text.map((part) => part.section));
  const nodes = attachments ? attachmentNodes(message.bodyStructure) : [];
  const attachmentOnly = [
    ...new Set(nodes.map((node) => node.part ?? '1').filter((part) => !textSections.has(part))),
  ];
  const bytes =
    text.reduce((sum, part) => sum + part.size, 0) +
    nodes.reduce((sum, node) => sum + (typeof node.size === 'number' ? node.size : 0), 0);
  return {
    message,
    sections: [...new Set([...textSections, ...attachmentOnly])],
    bytes,
    attachmentOnly,
  };
}

/** Messages that share a set of sections, cut into UID FETCHes within PART_FETCH_BUDGET_BYTES. */
function partFetches(wanted: readonly WantedParts[]): WantedParts[][] {
  const bySections = new Map<string, WantedParts[][]>();
  for (const want of wanted) {
    const key = want.sections.join(' ');
    const fetches = bySections.get(key) ?? [];
    bySections.set(key, fetches);
    const last = fetches.at(-1);
    const lastBytes = last?.reduce((sum, w) => sum + w.bytes, 0) ?? 0;
    if (last && lastBytes + want.bytes <= PART_FETCH_BUDGET_BYTES) last.push(want);
    else fetches.push([want]);
  }
  return [...bySections.values()].flat();
}

/**
 * Select "text" and "full": each message's text and html parts (rows/text-parts.ts), and for
 * "full" its attachments too, one UID FETCH per distinct set of sections (most messages of a
 * mailbox share a few shapes) within a byte budget. Attachments are decoded and hashed as their
 * answer arrives and their bytes let go (`digests`). A message without a usable BODYSTRUCTURE,
 * or whose parts the server did not give, gets its whole source instead; the returned UIDs are those.
 */
async function addParts(
  session: Session,
  batch: FetchedMessage[],
  digests: Map<number, DigestedAttachments> | undefined,
  options: ParseBodyOptions,
): Promise<Set<number>> {
  const wholeSource = new Set<number>();
  const wanted: WantedParts[] = [];
  for (const message of batch) {
    if (!message.bodyStructure) {
      wholeSource.add(message.uid);
      continue;
    }
    const want = wantedParts(message, digests !== undefined);
    if (want.sections.length > 0) wanted.push(want);
  }
  for (const group of partFetches(wanted)) {
    const attachmentOnly = new Map(group.map((want) => [want.message.uid, want.attachmentOnly]));
    await fetchFor(
      session,
      group.map((want) => want.message),
      { uid: true, bodyParts: group[0]!.sections },
      (message, answer) => {
        if (!answer?.bodyParts) {
          wholeSource.add(message.uid);
          return;
        }
        message.bodyParts = answer.bodyParts;
        if (!digests) return;
        digests.set(message.uid, digestAttachments(message, options));
        for (const section of attachmentOnly.get(message.uid) ?? [])
          answer.bodyParts.delete(section);
      },
    );
  }
  const missing = batch.filter((message) => wholeSource.has(message.uid) && !message.source);
  await fetchFor(session, missing, { uid: true, source: true }, (message, answer) => {
    if (answer?.source) message.source = answer.source;
  });
  return wholeSource;
}

/** A requested message came back without an item it must carry: a row from it would be wrong. */
function incompleteError(uids: number[]): ReturnType<typeof makeError> {
  return makeError(
    'PROTOCOL_ERROR',
    `The server answered the FETCH of UID ${uids.join(', ')} without all the items asked for (the body, say).`,
    { details: { uids } },
  );
}

/** Index of the first UID above `uid` in an ascending list. */
function firstAbove(uids: number[], uid: number): number {
  let low = 0;
  let high = uids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (uids[middle]! <= uid) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The next `want` matching UIDs above lastUid, and whether they are the last ones. */
async function nextUids(
  run: PageRun,
  path: string,
  uidValidity: string,
  lastUid: number,
  want: number,
): Promise<{ taken: number[]; exhausted: boolean }> {
  const { session, plan } = run;
  const cache = run.options.searchCache;
  let entry = cache?.get(path);
  let from = entry && entry.uidValidity === uidValidity ? firstAbove(entry.uids, lastUid) : 0;
  if (!entry || entry.uidValidity !== uidValidity || from >= entry.uids.length) {
    entry = { uidValidity, uids: await uidsAbove(session, plan.attributes, lastUid) };
    cache?.set(path, entry);
    from = 0;
  }
  const taken = entry.uids.slice(from, from + want);
  return { taken, exhausted: from + taken.length >= entry.uids.length };
}

/** One page being read: the session and plan, and the state and page it fills. */
interface PageRun extends PageSource {
  options: PageOptions;
  state: CursorState;
  page: Page;
}

/** Where a page is read from: ReadContext has all of it. */
export interface PageSource {
  session: Session;
  pace: Pace;
  folders: FolderInfo[];
  plan: ReadPlan;
  config: Config;
}

/**
 * Where a folder continues: after its lastUid, or from the start when its UIDVALIDITY
 * changed (reported, or UIDVALIDITY_CHANGED when the caller asked to fail).
 * @throws UIDVALIDITY_CHANGED with onUidValidityChange 'fail'.
 */
function continueAfter(run: PageRun, path: string, uidValidity: string): number {
  if (uidValidity === '' || uidValidity === '0')
    run.page.warnings.push(
      `${path}: the server reports no UIDVALIDITY, so a renumbering could not be detected`,
    );
  const previous = run.state.folders[path];
  if (!previous || previous.uidValidity === uidValidity) return previous?.lastUid ?? 0;
  const change = { folder: path, previous: previous.uidValidity, current: uidValidity };
  if (run.options.onUidValidityChange === 'fail') {
    throw makeError(
      'UIDVALIDITY_CHANGED',
      `UIDVALIDITY of ${JSON.stringify(path)} changed from ${change.previous} to ${change.current}; its UIDs no longer mean what the cursor says.`,
      { details: change },
    );
  }
  run.page.uidValidityChanged.push(change);
  return 0;
}

/** Reads one folder's share of a page under a read-only lock (EXAMINE, never \Seen changes). */
async function readFolder(run: PageRun, folder: FolderInfo, want: number): Promise<number> {
  const { session, state } = run;
  return withMailbox(session, folder.path, true, async () => {
    const uidValidity = uidValidityOf(session);
    const lastUid = continueAfter(run, folder.path, uidValidity);
    const { taken, exhausted } = await nextUids(run, folder.path, uidValidity, lastUid, want);
    const ctx: RowContext = {
      account: session.account,
      folder: folder.path,
      uidValidity,
      dateTimeFormat: run.config.dateTimeFormat,
    };
    run.page.rows.push(...(await fetchRows(run, taken, ctx)));
    state.folders[folder.path] = {
      uidValidity,
      lastUid: taken.length > 0 ? taken[taken.length - 1]! : lastUid,
      query: run.plan.queryDigest,
    };
    if (state.remaining !== null) state.remaining -= taken.length;
    if (exhausted) state.done.push(folder.path);
    return taken.length;
  });
}

/**
 * Reads up to pageSize messages, continuing where `start` left off: folders in plan order,
 * UIDs ascending above each folder's lastUid. Messages that arrive meanwhile get higher UIDs
 * and are read later in the same run; deleted ones are simply not fetched, so across pages
 * every matching message appears exactly once. `start` is not modified: on a fault the caller
 * still holds the state before this page, and resuming from it loses and repeats nothing.
 */
export async function readPage(
  source: PageSource,
  start: CursorState,
  options: PageOptions,
): Promise<Page> {
  const state: CursorState = structuredClone(start);
  const run: PageRun = {
    ...source,
    options,
    state,
    page: { rows: [], messages: 0, state, uidValidityChanged: [], warnings: [] },
  };
  try {
    await readFolders(run);
    return run.page;
  } catch (error) {
    // A dropped or silent connection rejects the pending command with a generic "not
    // available"; the session's first fault event names the cause (timeout, reset).
    throw source.session.asError(error);
  }
}

async function readFolders(run: PageRun): Promise<void> {
  const { state, folders, options } = run;
  // Counted in messages, not rows: a projection may filter rows out, and the next folder
  // must not start before this one is finished.
  let consumed = 0;
  for (const folder of folders) {
    if (state.done.includes(folder.path)) continue;
    const budget = Math.min(
      options.pageSize - consumed,
      state.remaining ?? Number.POSITIVE_INFINITY,
    );
    if (budget <= 0) break;
    consumed += await readFolder(run, folder, budget);
    run.page.messages = consumed;
    if (!state.done.includes(folder.path)) break;
  }
  state.complete =
    state.remaining === 0 || folders.every((folder) => state.done.includes(folder.path));
}
