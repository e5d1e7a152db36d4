/**
 * The change feed in a page (issue 29, `changes: true`): before a folder's new messages, the
 * rows of what changed at or below its cursor, in the order a host applies them: deletions
 * (op "delete": id, folder, uid, uidValidity), then updates (op "update": the whole row again,
 * an upsert), then the new messages (op "insert"). A folder is scanned once per run (change-scan.ts);
 * updates beyond the page's budget wait in the cursor (`pending`) for the next page.
 */
import { toUidSet } from '../imap/uid-set.js';
import { rowId, type RowContext } from '../rows/message-to-row.js';
import { highestModseqOf, nextKnown, scanChanges, uidsOfSet } from './change-scan.js';
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
type ChangeFields = Pick<FolderCursor, 'modseq' | 'known' | 'pending'>;

function fieldsOf(entry: FolderCursor): ChangeFields {
  return {
    ...(entry.modseq !== undefined ? { modseq: entry.modseq } : {}),
    ...(entry.known !== undefined ? { known: entry.known } : {}),
    ...(entry.pending !== undefined ? { pending: entry.pending } : {}),
  };
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
): Promise<{ entry: ChangeFields; consumed: number; pending: boolean }> {
  const scanned = (run.state.scanned ??= []);
  const firstVisit = !scanned.includes(ctx.folder);
  if (firstVisit) scanned.push(ctx.folder);
  if (!before || before.uidValidity !== ctx.uidValidity) {
    // Never read, or renumbered (then read again from the start): the host's rows of the
    // old numbering go, and changes count from now.
    if (before?.known)
      run.page.rows.push(...deleteRows(ctx, before.uidValidity, uidsOfSet(before.known)));
    const modseq = highestModseqOf(run.session);
    return { entry: { ...(modseq ? { modseq } : {}), known: '' }, consumed: 0, pending: false };
  }
  const entry = fieldsOf(before);
  if (firstVisit) {
    const changes = await scanChanges(run.session, run.plan.attributes, before);
    if (changes.modseq === undefined)
      run.page.warnings.push(
        `${ctx.folder}: the server keeps no MODSEQ here (no CONDSTORE), so flag changes are not reported; deletions are`,
      );
    run.page.rows.push(...deleteRows(ctx, ctx.uidValidity, changes.remove));
    entry.known = nextKnown(uidsOfSet(before.known), changes.remove, []);
    if (changes.modseq !== undefined) entry.modseq = changes.modseq;
    const waiting = new Set([...uidsOfSet(before.pending), ...changes.update]);
    entry.pending = toUidSet([...waiting].sort((a, b) => a - b));
  }
  const pending = uidsOfSet(entry.pending);
  const take = pending.slice(0, Math.max(0, want));
  run.page.rows.push(...withOp(await fetchRows(run, take, ctx), 'update'));
  entry.pending = toUidSet(pending.slice(take.length));
  entry.known = nextKnown(uidsOfSet(entry.known), [], take);
  return { entry, consumed: take.length, pending: pending.length > take.length };
}
