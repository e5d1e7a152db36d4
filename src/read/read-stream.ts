import { encodeCursor, startState } from './cursor.js';
import type { CursorState } from './cursor.js';
import {
  madeRows,
  readPage,
  type Page,
  type SearchCache,
  type UidValidityChange,
} from './read-page.js';
import { prepare } from './read-context.js';
import { ReconnectingRead } from './reconnecting-read.js';
import { fitCursor, type ReadOptions } from './read.js';
import { withResumeCursor } from './resume-cursor.js';

export interface StreamOptions extends ReadOptions {
  /** Called once every row of a page has been consumed: the cursor is then a safe checkpoint. */
  onCheckpoint?: (checkpoint: {
    cursor: string;
    done: boolean;
    rows: number;
    uidValidityChanged: UidValidityChange[];
    warnings: string[];
  }) => void | Promise<void>;
}

/**
 * All rows of a query as an async iterator over one session. Backpressure: a page holds at
 * most maxQueueDepth messages, and the page after it is fetched while its rows are made and
 * taken, never further ahead, so memory stays flat on a mailbox of any size (two pages at
 * most). Returns the final cursor (the state for the next run); breaking out early closes the
 * session.
 * @throws like read(); a fault carries details.cursor, the last checkpoint, to resume from.
 */
export async function* readStream(
  connection: unknown,
  query?: string | object,
  options: StreamOptions = {},
): AsyncGenerator<unknown, string> {
  const prepared = prepare(connection, query, options, options.cursor);
  let state = startState(prepared.previous, prepared.plan, prepared.plan.query.limit);
  const pageSize = Math.min(
    options.pageSize ?? prepared.config.pageSize,
    prepared.config.maxQueueDepth,
  );
  const session = new ReconnectingRead(prepared, options);
  const searchCache: SearchCache = new Map();
  let pending: string[] = [];
  let fitted = false;
  /** The page that starts at `from()`: the state the cursor was fitted to, for the first one. */
  const pageFrom = (from: () => CursorState): Promise<Page> =>
    session.attempt(
      async (ctx) => {
        if (!fitted) {
          const fit = fitCursor(state, ctx, options);
          state = fit.state;
          pending = fit.warnings;
          fitted = true;
        }
        return readPage(ctx, from(), {
          pageSize,
          searchCache,
          onUidValidityChange: options.onUidValidityChange,
          changes: options.changes ?? prepared.config.changes,
          deferRows: true,
        });
      },
      // UIDs searched on a session that is gone are searched again on the next.
      () => searchCache.clear(),
    );
  let next: Promise<Page> | undefined = state.complete ? undefined : pageFrom(() => state);
  try {
    while (next) {
      let rows: unknown[];
      let page: Page;
      try {
        page = await next;
        // The next page is asked for before this one's rows are made (read-page.ts deferRows).
        const after = page.state;
        next = after.complete ? undefined : pageFrom(() => after);
        next?.catch(() => undefined);
        rows = await madeRows(page);
      } catch (error) {
        throw withResumeCursor(error, state);
      }
      yield* rows;
      state = page.state;
      await options.onCheckpoint?.({
        cursor: encodeCursor(state),
        done: state.complete,
        rows: rows.length,
        uidValidityChanged: page.uidValidityChanged,
        warnings: [...pending, ...page.warnings],
      });
      pending = [];
    }
    return encodeCursor(state);
  } finally {
    // A page still being fetched ends first (no retry after a fault now): the session is
    // then closed with no command of ours on it.
    if (next) {
      session.stopRetrying();
      await next.catch(() => undefined);
    }
    await session.close();
  }
}
