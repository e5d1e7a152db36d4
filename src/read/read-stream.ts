import { encodeCursor, startState } from './cursor.js';
import { readPage, type Page, type SearchCache, type UidValidityChange } from './read-page.js';
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
 * All rows of a query as an async iterator over one session. Backpressure: the next page is
 * fetched only when the consumer has taken every row of the previous one, and a page holds at
 * most maxQueueDepth messages, so memory stays flat on a mailbox of any size. Returns the final
 * cursor (the state for the next run); breaking out early closes the session.
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
  try {
    let pending: string[] = [];
    let fitted = false;
    while (!state.complete) {
      let page: Page;
      try {
        page = await session.attempt(
          async (ctx) => {
            if (!fitted) {
              const fit = fitCursor(state, ctx, options);
              state = fit.state;
              pending = fit.warnings;
              fitted = true;
            }
            return readPage(ctx, state, {
              pageSize,
              searchCache,
              onUidValidityChange: options.onUidValidityChange,
              changes: options.changes ?? prepared.config.changes,
            });
          },
          // UIDs searched on a session that is gone are searched again on the next.
          () => searchCache.clear(),
        );
      } catch (error) {
        throw withResumeCursor(error, state);
      }
      yield* page.rows;
      state = page.state;
      await options.onCheckpoint?.({
        cursor: encodeCursor(state),
        done: state.complete,
        rows: page.rows.length,
        uidValidityChanged: page.uidValidityChanged,
        warnings: [...pending, ...page.warnings],
      });
      pending = [];
    }
    return encodeCursor(state);
  } finally {
    await session.close();
  }
}
