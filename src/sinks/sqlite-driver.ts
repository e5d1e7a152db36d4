/**
 * The one door to SQLite, for the archive, import state and job locks. Node 22.13+ and 24
 * carry SQLite built in (node:sqlite); on Node 20 the optional peer dependency better-sqlite3
 * is used. Neither is loaded before a caller opens a file, so the connector's other operations
 * work in a host that has neither (and installs nothing native). Both drivers offer the same
 * small surface (exec, prepare, run/get/all/iterate, close); this module adds what differs:
 * error codes, BLOBs as Buffers, busy timeout, transactions.
 */
import { createRequire } from 'node:module';
import { makeError } from '../errors.js';

export type SqlParameter = string | number | bigint | Buffer | Uint8Array | null;
type Parameters = SqlParameter[] | [Record<string, SqlParameter>];

export interface SqliteStatement {
  run(...params: Parameters): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: Parameters): unknown;
  all(...params: Parameters): unknown[];
  iterate(...params: Parameters): IterableIterator<unknown>;
}

export interface SqliteDatabase {
  readonly open: boolean;
  /** Which driver serves this file: 'node:sqlite' or 'better-sqlite3'. */
  readonly driver: DriverName;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /** `PRAGMA text`: the rows of a query (integrity_check(20)); none for a setting (x = y). */
  pragma(text: string): unknown[];
  /** `fn` in one transaction (a savepoint when nested): committed on return, rolled back on throw. */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T;
  close(): void;
}

export type DriverName = 'node:sqlite' | 'better-sqlite3';

/** The page cache per connection, as SQLite's cache_size gives it: negative for KiB. */
const PAGE_CACHE_SIZE = -2000;

/** What both drivers' database objects have in common. */
interface RawDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqliteStatement;
  close(): unknown;
}

interface Driver {
  name: DriverName;
  open(path: string, readonly: boolean): RawDatabase;
}

const requireHere = createRequire(import.meta.url);

function nodeSqlite(): Driver | undefined {
  try {
    const module = requireHere('node:sqlite') as {
      DatabaseSync: new (path: string, options: { readOnly: boolean }) => RawDatabase;
    };
    // Node 22.5-22.12 has the module only behind --experimental-sqlite; iterate() came in 22.13.
    const probe = new module.DatabaseSync(':memory:', { readOnly: false });
    const ok = typeof probe.prepare('SELECT 1').iterate === 'function';
    probe.close();
    if (!ok) return undefined;
    return {
      name: 'node:sqlite',
      open: (path, readonly) => new module.DatabaseSync(path, { readOnly: readonly }),
    };
  } catch {
    return undefined;
  }
}

function betterSqlite(): { driver?: Driver; problem?: string | undefined } {
  try {
    const Database = requireHere('better-sqlite3') as new (
      path: string,
      options: { readonly: boolean; fileMustExist: boolean },
    ) => RawDatabase;
    // Constructing one loads the native addon: a build for another Node fails here, not later.
    new Database(':memory:', { readonly: false, fileMustExist: false }).close();
    return {
      driver: {
        name: 'better-sqlite3',
        open: (path, readonly) => new Database(path, { readonly, fileMustExist: readonly }),
      },
    };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === 'MODULE_NOT_FOUND' ? {} : { problem: (error as Error).message.split('\n')[0] };
  }
}

let chosen: Driver | undefined;

/**
 * The driver for this process, chosen on first use: node:sqlite when Node has it, else
 * better-sqlite3.
 * @throws SQLITE_UNAVAILABLE naming what to install.
 */
export function sqliteDriver(): Driver {
  if (chosen) return chosen;
  const builtIn = nodeSqlite();
  if (builtIn) return (chosen = builtIn);
  const addon = betterSqlite();
  if (addon.driver) return (chosen = addon.driver);
  throw makeError(
    'SQLITE_UNAVAILABLE',
    `The archive and import state need SQLite: Node ${process.versions.node} has no node:sqlite, and better-sqlite3 ${addon.problem ? `does not load (${addon.problem})` : 'is not installed'}.`,
    { details: { node: process.versions.node } },
  );
}

// SQLite's primary result codes (sqlite3.h), for node:sqlite, which reports only the number.
const RESULT_CODES: Record<number, string> = {
  1: 'ERROR',
  3: 'PERM',
  5: 'BUSY',
  6: 'LOCKED',
  7: 'NOMEM',
  8: 'READONLY',
  10: 'IOERR',
  11: 'CORRUPT',
  13: 'FULL',
  14: 'CANTOPEN',
  19: 'CONSTRAINT',
  26: 'NOTADB',
};

/** Gives a node:sqlite error better-sqlite3's `code` (SQLITE_BUSY, ...), which callers test. */
function withSqliteCode(error: unknown): unknown {
  const failure = error as { code?: string; errcode?: number };
  if (failure?.code === 'ERR_SQLITE_ERROR' && typeof failure.errcode === 'number') {
    const name = RESULT_CODES[failure.errcode & 0xff];
    if (name) failure.code = `SQLITE_${name}`;
  }
  return error;
}

function guarded<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw withSqliteCode(error);
  }
}

/** node:sqlite reads BLOBs as Uint8Array; the code (and better-sqlite3) use Buffer. */
function withBuffers(row: unknown): unknown {
  if (typeof row !== 'object' || row === null) return row;
  const record = row as Record<string, unknown>;
  for (const [key, value] of Object.entries(record))
    if (value instanceof Uint8Array && !Buffer.isBuffer(value))
      record[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return record;
}

function wrapStatement(raw: SqliteStatement): SqliteStatement {
  return {
    run: (...params) => guarded(() => raw.run(...params)),
    get: (...params) => guarded(() => withBuffers(raw.get(...params))),
    all: (...params) => guarded(() => raw.all(...params).map(withBuffers)),
    *iterate(...params) {
      const rows = guarded(() => raw.iterate(...params));
      for (;;) {
        const next = guarded(() => rows.next());
        if (next.done) return;
        yield withBuffers(next.value);
      }
    },
  };
}

/**
 * Opens `path` with the process's driver. `busyTimeoutMs`: how long a statement waits for
 * another connection's lock before SQLITE_BUSY.
 * @throws SQLITE_UNAVAILABLE; the driver's own error (with a SQLITE_* code) when the file cannot be opened.
 */
export function openDatabase(
  path: string,
  options: { readonly: boolean; busyTimeoutMs: number },
): SqliteDatabase {
  const driver = sqliteDriver();
  const raw = guarded(() => driver.open(path, options.readonly));
  let open = true;
  let depth = 0;
  const db: SqliteDatabase = {
    get open() {
      return open;
    },
    driver: driver.name,
    exec: (sql) => void guarded(() => raw.exec(sql)),
    prepare: (sql) => wrapStatement(guarded(() => raw.prepare(sql))),
    // better-sqlite3 refuses all() on a statement that returns nothing, as some settings do.
    pragma: (text) => {
      if (!text.includes('=')) return db.prepare(`PRAGMA ${text}`).all();
      db.exec(`PRAGMA ${text}`);
      return [];
    },
    transaction:
      (fn) =>
      (...args) => {
        const savepoint = depth > 0 ? `nested_${depth}` : undefined;
        const rollback = (): void => {
          try {
            db.exec(savepoint ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : 'ROLLBACK');
          } catch {
            // The failure itself may have ended the transaction (SQLITE_FULL can): nothing to undo.
          }
        };
        db.exec(savepoint ? `SAVEPOINT ${savepoint}` : 'BEGIN');
        depth += 1;
        try {
          const result = fn(...args);
          db.exec(savepoint ? `RELEASE ${savepoint}` : 'COMMIT');
          return result;
        } catch (error) {
          rollback();
          throw error;
        } finally {
          depth -= 1;
        }
      },
    close() {
      if (!open) return;
      open = false;
      raw.close();
    },
  };
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
    // SQLite's own default page cache (2 MB), which node:sqlite keeps: better-sqlite3 is built
    // with 16 MB, and an import's state file filled it, 16 MB more at the peak of 100,000
    // messages on Node 20 (docs/performance.md).
    db.exec(`PRAGMA cache_size = ${PAGE_CACHE_SIZE}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
