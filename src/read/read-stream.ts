import { encodeCursor, startState } from './cursor.js';
import type { CursorState } from './cursor.js';
import {
  madeRows,
  readPage,
  type Page,
  type SearchCache,
  type UidValidityChange,
} from './read-page.js';
import { prepare, type PreparedRead } from './read-context.js';
import { ReconnectingRead } from './reconnecting-read.js';
import { fitCursor, type ReadOptions } from './read.js';
import { withResumeCursor } from './resume-cursor.js';
import { abortedError } from '../sleep.js';

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
 * The pages of one readStream on its session: the first from the cursor fitted to the first
 * session (fitCursor), each next one from the state after the one before.
 */
class StreamPages {
  private readonly searchCache: SearchCache = new Map();
  private fitted = false;
  /** Warnings from fitting the cursor, for the first checkpoint. */
  fitWarnings: string[] = [];

  constructor(
    private readonly prepared: PreparedRead,
    private readonly options: StreamOptions,
    private readonly session: ReconnectingRead,
    /** Where the stream starts: the cursor's state, fitted once the first session is open. */
    public start: CursorState,
  ) {}

  /** The page that starts at `from`, or at the stream's start. */
  read(from?: CursorState): Promise<Page> {
    const { prepared, options } = this;
    return this.session.attempt(
      async (ctx) => {
        if (!this.fitted) {
          const fit = fitCursor(this.start, ctx, options);
          this.start = fit.state;
          this.fitWarnings = fit.warnings;
          this.fitted = true;
        }
        return readPage(ctx, from ?? this.start, {
          pageSize: Math.min(
            options.pageSize ?? prepared.config.pageSize,
            prepared.config.maxQueueDepth,
          ),
          searchCache: this.searchCache,
          onUidValidityChange: options.onUidValidityChange,
          changes: options.changes ?? prepared.config.changes,
          deferRows: true,
        });
      },
      // UIDs searched on a session that is gone are searched again on the next.
      () => this.searchCache.clear(),
    );
  }
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
  const session = new ReconnectingRead(prepared, options);
  const pages = new StreamPages(
    prepared,
    options,
    session,
    startState(prepared.previous, prepared.plan, prepared.plan.query.limit),
  );
  // The state after the last page the consumer took: the checkpoint.
  let taken: CursorState | undefined;
  let next = pages.start.complete ? undefined : pages.read();
  try {
    while (next) {
      let rows: unknown[];
      let page: Page;
      try {
        page = await next;
        // The page read ahead may have arrived before the caller aborted: it is not given.
        if (options.signal?.aborted) throw abortedError();
        // The next page is asked for before this one's rows are made (read-page.ts deferRows).
        next = page.state.complete ? undefined : pages.read(page.state);
        next?.catch(() => undefined);
        rows = await madeRows(page);
      } catch (error) {
        throw withResumeCursor(error, taken ?? pages.start);
      }
      yield* rows;
      await options.onCheckpoint?.({
        cursor: encodeCursor(page.state),
        done: page.state.complete,
        rows: rows.length,
        uidValidityChanged: page.uidValidityChanged,
        warnings: [...(taken ? [] : pages.fitWarnings), ...page.warnings],
      });
      taken = page.state;
    }
    return encodeCursor(taken ?? pages.start);
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
