/**
 * The change feed in a page (issue 29, `changes: true`): before a folder's new messages, the
 * rows of what changed at or below its cursor, in the order a host applies them: deletions
 * (op "delete": id, folder, uid, uidValidity), then updates (op "update": the whole row again,
 * an upsert), then the new messages (op "insert"). A folder is scanned once per run (change-scan.ts);
 * updates beyond the page's budget wait in the cursor (`pending`) for the next page.
 */
import { toUidSet } from '../imap/uid-set.js';
import { uidsUpTo } from '../imap/uid-search.js';
import { rowId, type RowContext } from '../rows/message-to-row.js';
import {
  decodeFlags,
  flagFields,
  flagsOf,
  highestModseqOf,
  MAX_FLAG_TRACKED,
  scanChanges,
  uidNextOf,
  uidsOfSet,
} from './change-scan.js';
import type { FolderCursor } from './cursor.js';
import { fetchRows } from './fetch-batches.js';
import type { PageRun } from './read-page.js';

type Op = 'insert' | 'update' | 'delete';

/** Rows marked with what the host does with them (rows a projection made scalars stay as they are). */
export function withOp(rows: unknown[], op: Op): unknown[] {
  return rows.map((row) =>
    typeof row === 'object' && row !== null && !Array.isArray(row) ? { op, ...row } : row,
  );
}

function deleteRows(ctx: RowContext, uidValidity: string, uids: number[]): unknown[] {
  return uids.map((uid) => ({
    op: 'delete',
    id: rowId({ ...ctx, uidValidity }, uid),
    folder: ctx.folder,
    uid,
    uidValidity,
  }));
}

/** The change fields of a folder's entry. */
type ChangeFields = Pick<
  FolderCursor,
  'modseq' | 'known' | 'pending' | 'until' | 'flagUids' | 'flags'
>;

const CHANGE_FIELDS = ['modseq', 'known', 'pending', 'until', 'flagUids', 'flags'] as const;

function fieldsOf(entry: FolderCursor): ChangeFields {
  const fields: Record<string, unknown> = {};
  for (const key of CHANGE_FIELDS) if (entry[key] !== undefined) fields[key] = entry[key];
  return fields as ChangeFields;
}

/** A page's change rows of a folder, and what the rest of the page needs of them. */
export interface FolderFeed {
  /** The change fields but `known`, which withInserts writes from `known` below. */
  entry: ChangeFields;
  /** The UIDs the host holds after the page's deletions and updates. */
  known: Set<number>;
  /** Messages the updates used of the page. */
  consumed: number;
  /** Updates wait for the next page: the folder's new messages wait too. */
  pending: boolean;
  /** Without MODSEQs: the flag hashes the new messages of the page join. */
  flags?: Map<number, number>;
}

/** A folder never read, or renumbered (then read again): the host's old rows go, changes count from now. */
function startOver(run: PageRun, ctx: RowContext, before: FolderCursor | undefined): FolderFeed {
  if (before?.known)
    run.page.rows.push(...deleteRows(ctx, before.uidValidity, uidsOfSet(before.known)));
  const modseq = highestModseqOf(run.session);
  const until = uidNextOf(run.session);
  return {
    entry: modseq ? { modseq, ...(until ? { until } : {}) } : {},
    known: new Set(),
    consumed: 0,
    pending: false,
    ...(modseq ? {} : { flags: new Map() }),
  };
}

/** The folder's scan, once per run: deletions sent now (and dropped from `known`), updates queued in `pending`. */
async function scan(
  run: PageRun,
  ctx: RowContext,
  before: FolderCursor,
  entry: ChangeFields,
  known: Set<number>,
) {
  // Taken with the MODSEQ baseline, before any FETCH (imapflow moves both on what it sees).
  const until = uidNextOf(run.session);
  const changes = await scanChanges(run.session, run.plan.attributes, before, [...known]);
  if (changes.flags && changes.flags.size > MAX_FLAG_TRACKED)
    run.page.warnings.push(
      `${ctx.folder}: more than ${MAX_FLAG_TRACKED} messages on a server without CONDSTORE: flag changes here are not reported; deletions are`,
    );
  run.page.rows.push(...deleteRows(ctx, ctx.uidValidity, changes.remove));
  for (const uid of changes.remove) known.delete(uid);
  if (changes.modseq !== undefined) entry.modseq = changes.modseq;
  if (until !== undefined) entry.until = until;
  else delete entry.until;
  const waiting = new Set([...uidsOfSet(before.pending), ...changes.update]);
  entry.pending = toUidSet([...waiting].sort((a, b) => a - b));
  return changes.flags;
}

/** A cursor entry of a run without changes (the host switched them on since): no baseline yet. */
function madeWithoutChanges(entry: FolderCursor): boolean {
  return (
    entry.lastUid > 0 &&
    entry.known === undefined &&
    entry.modseq === undefined &&
    entry.flags === undefined
  );
}

/**
 * What the host holds of a folder read without changes: the messages up to the cursor that
 * match the query now (it was given each of them), so a later expunge of one is a delete row.
 */
function held(run: PageRun, entry: FolderCursor): Promise<number[]> {
  return uidsUpTo(run.session, run.plan.attributes, entry.lastUid);
}

/**
 * Scans the folder (once per run) and sends its change rows within `want` messages.
 * @returns the entry's change fields after them, the messages used, and whether updates are
 *   still pending (then the folder's new messages wait for the next page).
 */
export async function changeRows(
  run: PageRun,
  ctx: RowContext,
  before: FolderCursor | undefined,
  want: number,
): Promise<FolderFeed> {
  const scanned = (run.state.scanned ??= []);
  const firstVisit = !scanned.includes(ctx.folder);
  if (firstVisit) scanned.push(ctx.folder);
  if (!before || before.uidValidity !== ctx.uidValidity) return startOver(run, ctx, before);
  const { known: _known, ...entry } = fieldsOf(before);
  const known = new Set(uidsOfSet(before.known));
  if (firstVisit && madeWithoutChanges(before))
    for (const uid of await held(run, before)) known.add(uid);
  const scannedFlags = firstVisit ? await scan(run, ctx, before, entry, known) : undefined;
  const flags =
    scannedFlags ??
    (entry.flags !== undefined ? decodeFlags(uidsOfSet(entry.flagUids), entry.flags) : undefined);
  const pending = uidsOfSet(entry.pending);
  const take = pending.slice(0, Math.max(0, want));
  run.page.rows.push(...withOp((await fetchRows(run, take, ctx)).rows, 'update'));
  entry.pending = toUidSet(pending.slice(take.length));
  for (const uid of take) known.add(uid);
  return {
    entry,
    known,
    consumed: take.length,
    pending: pending.length > take.length,
    ...(flags ? { flags } : {}),
  };
}

/**
 * The entry's change fields with the page's new messages: they join the known set, and without
 * MODSEQs their flags join the baseline (one UID FETCH (FLAGS) for them). Called before their
 * rows are fetched, so a flag change in between differs from the baseline: an update next run.
 */
export async function withInserts(
  run: PageRun,
  feed: FolderFeed,
  taken: number[],
): Promise<ChangeFields> {
  for (const uid of taken) feed.known.add(uid);
  const { flagUids: _uids, flags: _flags, ...rest } = feed.entry;
  const entry: ChangeFields = {
    ...rest,
    known: toUidSet([...feed.known].sort((a, b) => a - b)),
  };
  if (!feed.flags) return entry;
  for (const [uid, hash] of await flagsOf(run.session, toUidSet(taken))) feed.flags.set(uid, hash);
  return { ...entry, ...flagFields(feed.flags) };
}
