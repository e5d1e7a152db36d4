/**
 * Paging: which messages one page reads. Folders in plan order, UIDs ascending above each
 * folder's lastUid from the cursor, up to the page size; the messages themselves are fetched
 * and made rows by fetch-batches.ts.
 */
import { makeError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import { uidsAbove } from '../imap/uid-search.js';
import { uidValidityOf } from '../imap/uid-validity.js';
import { withMailbox } from '../imap/with-mailbox.js';
import type { RowContext } from '../rows/message-to-row.js';
import type { CursorState } from './cursor.js';
import { fetchRows, type FetchedRows, type PageSource } from './fetch-batches.js';
import { changeRows, withInserts, withOp, type FolderFeed } from './read-changes.js';

export type { PageSource } from './fetch-batches.js';

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
  /** The change feed: update and delete rows besides new messages (read-changes.ts). */
  changes?: boolean | undefined;
  /**
   * Leave the page's last fetched messages to be made rows by madeRows(), after the call: the
   * caller then fetches its next page first (readStream).
   */
  deferRows?: boolean;
}

/** One page: rows in folder order then UID order, the state after them, and what happened. */
export interface Page {
  /** With deferRows, only the rows made so far: madeRows() gives them all. */
  rows: unknown[];
  /** Rows still to be made, each to go in at its place in `rows` (deferRows). */
  later?: { at: number; make: () => Promise<unknown[]> }[];
  /** Messages read for the page (rows may be fewer: a projection can filter). */
  messages: number;
  state: CursorState;
  uidValidityChanged: UidValidityChange[];
  warnings: string[];
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

/** Where a folder's next UIDs lie: above `after`, and below `below` when a run bounds them. */
interface UidRange {
  after: number;
  below?: number | undefined;
}

/** The next `want` matching UIDs in `range`, and whether they are the last ones. */
async function nextUids(
  run: PageRun,
  path: string,
  uidValidity: string,
  range: UidRange,
  want: number,
): Promise<{ taken: number[]; exhausted: boolean }> {
  const { session, plan } = run;
  const cache = run.options.searchCache;
  const end = (uids: number[]) =>
    range.below === undefined ? uids.length : firstAbove(uids, range.below - 1);
  let entry = cache?.get(path);
  if (
    !entry ||
    entry.uidValidity !== uidValidity ||
    firstAbove(entry.uids, range.after) >= end(entry.uids)
  ) {
    entry = { uidValidity, uids: await uidsAbove(session, plan.attributes, range.after) };
    cache?.set(path, entry);
  }
  const from = firstAbove(entry.uids, range.after);
  const stop = end(entry.uids);
  const taken = entry.uids.slice(from, Math.min(from + want, stop));
  return { taken, exhausted: from + taken.length >= stop };
}

/** One page being read: the session and plan, and the state and page it fills. */
export interface PageRun extends PageSource {
  options: PageOptions;
  state: CursorState;
  page: Page;
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

/** A folder's new-message rows into the page; those left for later (deferRows) in their place. */
function addRows(run: PageRun, fetched: FetchedRows): void {
  const inserts = (rows: unknown[]): unknown[] =>
    run.options.changes ? withOp(rows, 'insert') : rows;
  run.page.rows.push(...inserts(fetched.rows));
  const later = fetched.later;
  if (later)
    (run.page.later ??= []).push({
      at: run.page.rows.length,
      make: async () => inserts(await later()),
    });
}

/** Reads one folder's share of a page under a read-only lock (EXAMINE, never \Seen changes). */
async function readFolder(run: PageRun, folder: FolderInfo, want: number): Promise<number> {
  const { session, state } = run;
  return withMailbox(session, folder.path, true, async () => {
    const uidValidity = uidValidityOf(session);
    const before = state.folders[folder.path];
    const lastUid = continueAfter(run, folder.path, uidValidity);
    const ctx: RowContext = {
      account: session.account,
      folder: folder.path,
      uidValidity,
      dateTimeFormat: run.config.dateTimeFormat,
    };
    const feed: FolderFeed = run.options.changes
      ? await changeRows(run, ctx, before, want)
      : { entry: {}, known: new Set<number>(), consumed: 0, pending: false };
    const { taken, exhausted } = feed.pending
      ? { taken: [], exhausted: false }
      : await nextUids(
          run,
          folder.path,
          uidValidity,
          { after: lastUid, below: feed.entry.until },
          want - feed.consumed,
        );
    // The change baseline before the rows: a flag change between them is then an update later.
    const changeFields = run.options.changes ? await withInserts(run, feed, taken) : {};
    addRows(run, await fetchRows(run, taken, ctx, run.options.deferRows));
    state.folders[folder.path] = {
      ...changeFields,
      uidValidity,
      lastUid: taken.length > 0 ? taken[taken.length - 1]! : lastUid,
      query: run.plan.queryDigest,
    };
    if (state.remaining !== null) state.remaining -= taken.length;
    if (exhausted) state.done.push(folder.path);
    return feed.consumed + taken.length;
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

/** Every row of a page, those left for later (deferRows) made now, in their places. */
export async function madeRows(page: Page): Promise<unknown[]> {
  if (!page.later) return page.rows;
  const made: unknown[][] = [];
  for (const { make } of page.later) made.push(await make());
  const rows = [...page.rows];
  // From the last place back, so that each insertion leaves the earlier places where they were.
  for (let i = page.later.length - 1; i >= 0; i--) rows.splice(page.later[i]!.at, 0, ...made[i]!);
  return rows;
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
