/**
 * Push (issue 29): rows of new mail within a second of its arrival, for as long as the caller
 * watches. Every wake-up reads from the cursor, the same paged read as a scheduled run, so
 * nothing depends on what the server pushed: a push only says when to look. The folders are
 * examined (one session for all with NOTIFY, else one each) and IDLE before the first read, so
 * mail that arrives while a read runs wakes the watch again. A cut, a timeout or a dead server:
 * sessions anew after a pause, and a read from the cursor brings what arrived meanwhile. Rows go
 * to `onRows` a page at a time with the cursor that covers them; the cursor moves on only once
 * onRows has returned.
 */
import type { Config } from '../config/validate-config.js';
import type { ConnectorError } from '../errors.js';
import { FolderIdle } from '../imap/folder-idle.js';
import { backoffMs, reconnectable } from '../imap/reconnect.js';
import { abortedError, sleep } from '../sleep.js';
import { prepare } from './read-context.js';
import { read, type ReadOptions } from './read.js';

export interface WatchOptions extends ReadOptions {
  /** Stops the watch; watch() then returns the last cursor whose rows onRows took. */
  signal: AbortSignal;
  /** A page of rows and the cursor after them; the next page waits until this returns. */
  onRows: (batch: { rows: unknown[]; cursor: string }) => void | Promise<void>;
  /**
   * Seconds an IDLE lasts before it is ended and issued again (servers drop it after 30
   * minutes); also how often a server without IDLE is asked. Default 300, at most 1740.
   */
  idleRestartSeconds?: number;
  /**
   * Without NOTIFY, at most this many folders get a session of their own for IDLE (default 5);
   * the rest are read on every wake-up and every idleRestartSeconds. With NOTIFY one session
   * watches every folder.
   */
  maxIdleFolders?: number;
  /** Told of each fault the watch recovers from (it then waits, opens new sessions, reads). */
  onReconnect?: (error: ConnectorError, waitMs: number) => void;
}

const DEFAULT_RESTART_S = 300;
const MAX_RESTART_S = 29 * 60;
const MAX_BACKOFF_MS = 60_000;

/** A wake-up the loop waits for: a push, a restart, a fault, or the caller's stop. */
class Wakeup {
  private resolve: (() => void) | undefined;
  pending = false;
  fault: ConnectorError | undefined;

  ring(): void {
    this.pending = true;
    this.resolve?.();
  }

  failed(error: ConnectorError): void {
    this.fault ??= error;
    this.ring();
  }

  /** Resolves at the next ring (at once when one came since the last wait), after ms, or at a stop. */
  async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (!this.pending && !signal.aborted)
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener('abort', done, { once: true });
        this.resolve = done;
      });
    this.resolve = undefined;
    this.pending = false;
  }
}

/** The folders' IDLE sessions and the wake-up they ring. */
class FolderWatches {
  private watchers: FolderIdle[] = [];
  private readonly wakeup = new Wakeup();

  constructor(
    private readonly config: Config,
    private readonly restartMs: number,
    private readonly options: WatchOptions,
  ) {}

  get started(): boolean {
    return this.watchers.length > 0;
  }

  /**
   * Examines the first folder and, where the server offers NOTIFY, has the same session told of
   * the others' changes: one session for them all. Else each folder (up to maxIdleFolders) on a
   * session of its own. Pushes from now on ring the wake-up.
   */
  async start(folders: string[]): Promise<void> {
    const events = {
      onChange: () => this.wakeup.ring(),
      onFault: (_folder: string, error: ConnectorError) => this.wakeup.failed(error),
    };
    const [first, ...others] = folders;
    if (first === undefined) return;
    const open = (folder: string, notify: string[] = []) =>
      FolderIdle.open(
        this.config,
        folder,
        { restartMs: this.restartMs, notify },
        events,
        this.options,
      );
    const lead = await open(first, others);
    this.watchers.push(lead);
    if (lead.notifying) return;
    for (const folder of others.slice(0, (this.options.maxIdleFolders ?? 5) - 1))
      this.watchers.push(await open(folder));
  }

  /** Forgets earlier pushes: the read about to start sees what they announced. */
  reading(): void {
    this.wakeup.pending = false;
  }

  /** Until a push, the restart, or the stop. @throws the fault of a session that ended. */
  async wait(signal: AbortSignal): Promise<void> {
    await this.wakeup.wait(this.restartMs, signal);
    if (this.wakeup.fault) throw this.wakeup.fault;
  }

  /**
   * After a fault: the sessions closed, then the reads' own pause (doubling with jitter, or the
   * server's suggestion), at most a minute.
   */
  async recover(error: ConnectorError, attempt: number, signal: AbortSignal): Promise<void> {
    await this.close();
    const waitMs = Math.min(backoffMs(error, attempt, this.config.reconnectDelay), MAX_BACKOFF_MS);
    this.options.onReconnect?.(error, waitMs);
    await sleep(waitMs, signal).catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.close()));
    this.watchers = [];
    this.wakeup.fault = undefined;
  }
}

/**
 * Watches a query's folders until `signal` fires: first everything after `cursor` (all of it
 * without one), then each new message as it arrives.
 * @returns the last cursor whose rows onRows took (the state for the next watch or read).
 * @throws CONFIG_INVALID, QUERY_INVALID, CURSOR_INVALID before any I/O; errors no new session
 *   can fix (AUTH_FAILED, FOLDER_NOT_FOUND, ...); whatever onRows throws.
 */
export async function watch(
  connection: unknown,
  query: string | object | undefined,
  options: WatchOptions,
): Promise<string | undefined> {
  const { config } = prepare(connection, query, options, options.cursor);
  const restartSeconds = Math.min(options.idleRestartSeconds ?? DEFAULT_RESTART_S, MAX_RESTART_S);
  const watches = new FolderWatches(config, restartSeconds * 1000, options);
  const { signal } = options;
  let cursor = options.cursor;
  // Known from the first read; their sessions open before the next, which finds what came
  // in between, so no message falls between a read and the wait that follows it.
  let folders: string[] | undefined;
  let failures = 0;
  try {
    while (!signal.aborted) {
      try {
        if (folders && !watches.started) await watches.start(folders);
        watches.reading();
        const read = await catchUp(connection, query, options, cursor, (next) => (cursor = next));
        if (!folders) {
          folders = read;
          continue;
        }
        failures = 0;
        await watches.wait(signal);
      } catch (error) {
        if (signal.aborted) break;
        if (!reconnectable(error)) throw error;
        await watches.recover(error as ConnectorError, ++failures, signal);
      }
    }
    return cursor;
  } finally {
    await watches.close();
  }
}

/**
 * Reads from the cursor until nothing is left, handing each page with rows to onRows; the
 * cursor moves (`advance`) as soon as onRows has taken a page, also when a stop follows.
 * @returns the folders read.
 */
async function catchUp(
  connection: unknown,
  query: string | object | undefined,
  options: WatchOptions,
  from: string | undefined,
  advance: (cursor: string) => void,
): Promise<string[]> {
  const {
    onRows,
    signal,
    idleRestartSeconds: _r,
    maxIdleFolders: _m,
    onReconnect: _o,
    ...rest
  } = options;
  let cursor = from;
  for (;;) {
    const page = await read(connection, query, {
      ...rest,
      signal,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    if (page.rows.length > 0) await onRows({ rows: page.rows, cursor: page.cursor });
    cursor = page.cursor;
    advance(cursor);
    if (signal.aborted) throw abortedError();
    if (page.done) return page.folders;
  }
}
