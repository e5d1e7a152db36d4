import { performance } from 'node:perf_hooks';
import type { OperationOptions } from '../operation-options.js';
import { unmatchedWarning } from '../query/plan.js';
import type { SelectOptions } from '../rows/select.js';
import { continueFolders, encodeCursor, startState, type CursorState } from './cursor.js';
import { prepare, type ReadContext, type StreamSelection } from './read-context.js';
import { ReconnectingRead } from './reconnecting-read.js';
import { readPage, type UidValidityChange } from './read-page.js';
import { withResumeCursor } from './resume-cursor.js';

export interface ReadOptions extends OperationOptions, SelectOptions, StreamSelection {
  /** The cursor of the previous page, or the final cursor of a finished run (incremental state). */
  cursor?: string;
  /** Rows per page; defaults to the connection's pageSize (500). */
  pageSize?: number;
  /** A folder whose UIDVALIDITY changed is re-read from the start (default) or fails the read. */
  onUidValidityChange?: 'reread' | 'fail';
  /**
   * A folder the cursor has read with another search (the query changed) is read again from
   * its start instead of failing with CURSOR_INVALID; result.restartedFolders lists them.
   */
  restartChangedFolders?: boolean;
  /**
   * The change feed: from a cursor, besides new messages (op "insert"), rows of messages whose
   * flags changed (op "update", the whole row) and of messages expunged or moved away
   * (op "delete"): docs/operations.md, "Change feed".
   */
  changes?: boolean;
}

/**
 * The cursor's state fitted to the folders about to be read (continueFolders), with a warning
 * per folder started again.
 */
export function fitCursor(
  start: CursorState,
  ctx: ReadContext,
  options: ReadOptions,
): { state: CursorState; restarted: string[]; warnings: string[] } {
  const fitted = continueFolders(
    start,
    ctx.folders.map((folder) => folder.path),
    ctx.plan.queryDigest,
    options.restartChangedFolders ?? false,
  );
  const warnings = fitted.restarted.map(
    (folder) =>
      `${folder}: the search changed since the cursor was made, so it is read from the start`,
  );
  return { ...fitted, warnings };
}

export interface ReadResult {
  rows: unknown[];
  /** Pass to the next read; when done, keep it as the state of the next scheduled run. */
  cursor: string;
  /** True when this run has read every matching message. */
  done: boolean;
  folders: string[];
  /** Folders read again from the start because their search changed (restartChangedFolders). */
  restartedFolders: string[];
  uidValidityChanged: UidValidityChange[];
  warnings: string[];
  elapsedMs: number;
}

/**
 * One page of rows for a query: folders in a stable order, UIDs ascending, at most pageSize
 * rows, and an opaque cursor for the next page.
 * @throws CONFIG_INVALID, QUERY_INVALID, CURSOR_INVALID before any network I/O; then session,
 *   FOLDER_NOT_FOUND, SEARCH_REJECTED, UIDVALIDITY_CHANGED (with onUidValidityChange "fail"),
 *   CONNECTION_LOST and timeouts (with details.cursor to resume from).
 */
export async function read(
  connection: unknown,
  query?: string | object,
  options: ReadOptions = {},
): Promise<ReadResult> {
  const started = performance.now();
  const prepared = prepare(connection, query, options, options.cursor);
  const start = startState(prepared.previous, prepared.plan, prepared.plan.query.limit);
  const pageSize = options.pageSize ?? prepared.config.pageSize;
  const session = new ReconnectingRead(prepared, options);
  try {
    return await session.attempt(async (ctx) => {
      const fitted = fitCursor(start, ctx, options);
      const page = await readPage(ctx, fitted.state, {
        pageSize,
        onUidValidityChange: options.onUidValidityChange,
        changes: options.changes ?? prepared.config.changes,
      });
      const warnings = [
        ...ctx.unmatched.map(unmatchedWarning),
        ...fitted.warnings,
        ...page.warnings,
      ];
      return {
        rows: page.rows,
        cursor: encodeCursor(page.state),
        done: page.state.complete,
        folders: ctx.folders.map((f) => f.path),
        restartedFolders: fitted.restarted,
        uidValidityChanged: page.uidValidityChanged,
        warnings,
        elapsedMs: Math.round(performance.now() - started),
      };
    });
  } catch (error) {
    throw withResumeCursor(error, start);
  } finally {
    await session.close();
  }
}
