/**
 * The SQLite door: which driver a Node gets (so the built-in path cannot silently fall back to
 * the addon, or the reverse), and that both behave alike where the code relies on them.
 * .ci/run runs this suite on Node 20 (better-sqlite3) and Node 24 (node:sqlite).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, sqliteDriver } from '../../../src/sinks/sqlite-driver.js';
import { tempDir } from '../../helpers/temp-dir.js';

const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
const hasBuiltIn = major > 22 || (major === 22 && minor >= 13);

const memory = () => openDatabase(':memory:', { readonly: false, busyTimeoutMs: 0 });

describe('sqliteDriver', () => {
  it(`uses ${hasBuiltIn ? 'node:sqlite' : 'better-sqlite3'} on Node ${process.versions.node}`, () => {
    expect(sqliteDriver().name).toBe(hasBuiltIn ? 'node:sqlite' : 'better-sqlite3');
    expect(memory().driver).toBe(sqliteDriver().name);
  });

  it("keeps SQLite's own page cache of 2 MB per connection, on either driver", () => {
    // better-sqlite3 is built with 16 MB, which an import's state file filled (Node 20).
    const db = openDatabase(join(tempDir('sqlite-cache-'), 'state.db'), {
      readonly: false,
      busyTimeoutMs: 0,
    });
    expect(db.pragma('cache_size')).toEqual([{ cache_size: -2000 }]);
    db.close();
  });

  it('reads BLOBs back as Buffers, byte for byte', () => {
    const db = memory();
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)');
    const bytes = Buffer.from([0, 1, 2, 255, 13, 10]);
    const { lastInsertRowid } = db.prepare('INSERT INTO t (data) VALUES (?)').run(bytes);
    const row = db.prepare('SELECT data FROM t WHERE id = ?').get(Number(lastInsertRowid)) as {
      data: Buffer;
    };
    expect(Buffer.isBuffer(row.data)).toBe(true);
    expect(row.data.equals(bytes)).toBe(true);
    expect(
      [...db.prepare('SELECT data FROM t').iterate()].map((r) =>
        Buffer.isBuffer((r as { data: unknown }).data),
      ),
    ).toEqual([true]);
  });

  it('binds named parameters without their prefix', () => {
    const db = memory();
    db.exec('CREATE TABLE t (a TEXT, b INTEGER)');
    db.prepare('INSERT INTO t VALUES (@a, @b)').run({ a: 'x', b: 2 });
    expect(db.prepare('SELECT a, b FROM t').all()).toEqual([{ a: 'x', b: 2 }]);
  });

  it('commits a transaction on return and rolls it back on throw, nested ones too', () => {
    const db = memory();
    db.exec('CREATE TABLE t (x INTEGER)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    db.transaction(() => insert.run(1))();
    expect(() =>
      db.transaction(() => {
        insert.run(2);
        throw new Error('no');
      })(),
    ).toThrow('no');
    db.transaction(() => {
      insert.run(3);
      try {
        db.transaction(() => {
          insert.run(4);
          throw new Error('inner');
        })();
      } catch {
        // the inner part is undone, the outer goes on
      }
      insert.run(5);
    })();
    expect(db.prepare('SELECT x FROM t ORDER BY x').all()).toEqual([{ x: 1 }, { x: 3 }, { x: 5 }]);
  });

  it('reports a lock conflict as SQLITE_BUSY, with either driver', () => {
    const path = join(tempDir(), 'busy.db');
    const a = openDatabase(path, { readonly: false, busyTimeoutMs: 0 });
    const b = openDatabase(path, { readonly: false, busyTimeoutMs: 0 });
    a.exec('BEGIN EXCLUSIVE');
    expect(() => b.exec('BEGIN EXCLUSIVE')).toThrow(
      expect.objectContaining({ code: 'SQLITE_BUSY' }),
    );
    a.exec('ROLLBACK');
    a.close();
    b.close();
    expect(a.open).toBe(false);
  });

  it('opens a file read-only: writing to it fails with SQLITE_READONLY', () => {
    const path = join(tempDir(), 'ro.db');
    const writer = openDatabase(path, { readonly: false, busyTimeoutMs: 0 });
    writer.exec('CREATE TABLE t (x)');
    writer.close();
    const reader = openDatabase(path, { readonly: true, busyTimeoutMs: 0 });
    expect(reader.pragma('table_info(t)')).toHaveLength(1);
    expect(() => reader.exec('INSERT INTO t VALUES (1)')).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^SQLITE_READONLY/) }),
    );
    reader.close();
  });
});
