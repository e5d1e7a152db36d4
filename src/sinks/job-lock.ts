/**
 * One run of a job at a time (issue 9: two overlapping cron runs of one import both APPENDed
 * every message). The lock is SQLite's own write lock on a small file of its own, held for
 * the whole run by an open transaction: the operating system drops it when the process ends,
 * however it ends (kill -9 included), so a crashed run never leaves a stale lock, and SQLite
 * also keeps two runs inside one process apart. The lock files live in `<file>.locks/`, one per
 * job, so different jobs may share one archive or state file.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isConnectorError, makeError } from '../errors.js';
import { fileWriteError } from '../file-error.js';
import { sleep } from '../sleep.js';
import { openSqliteDriver, type SqliteDatabase } from './sqlite-file.js';

/** A held lock: release() once the run is over (also after an error). */
export interface JobLock {
  release(): void;
}

// How often a waiting run tries again; SQLite's own busy wait would block the event loop.
const RETRY_MS = 200;

// Never recursive: a missing parent is the user's mistake to hear about, not to create. Two
// runs starting together may both make it; the second finds it there.
function makeLockDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
}

// IMMEDIATE, not EXCLUSIVE: it takes SQLite's RESERVED lock, which only one connection can
// hold but which does not wait for other connections' SHARED locks to go. Two runs starting
// together with EXCLUSIVE could each hold SHARED while asking for EXCLUSIVE, and both be
// refused (seen in CI on Node 24); with RESERVED exactly one of them wins.
function tryLock(db: SqliteDatabase): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return false;
    throw error;
  }
}

/**
 * Takes the lock of job `job` on `file` (the archive or state file), waiting up to `waitMs`
 * for a run that holds it to finish.
 * @throws JOB_BUSY when another run still holds it; FILE_WRITE_FAILED when the lock file cannot be made.
 */
export async function acquireJobLock(file: string, job: string, waitMs: number): Promise<JobLock> {
  const dir = `${file}.locks`;
  let db: SqliteDatabase;
  try {
    makeLockDir(dir);
    const path = join(dir, `${job}.lock`);
    db = openSqliteDriver(path, { timeout: 0 });
    chmodSync(path, 0o600);
  } catch (error) {
    // No SQLite on this machine is that, not a path to fix (issue 24).
    if (isConnectorError(error)) throw error;
    throw fileWriteError(error, dir, 'lock directory of this job');
  }
  const until = Date.now() + waitMs;
  while (!tryLock(db)) {
    if (Date.now() >= until) {
      db.close();
      throw makeError(
        'JOB_BUSY',
        `Another run of this job is still working on ${JSON.stringify(file)}${waitMs > 0 ? ` (waited ${Math.round(waitMs / 1000)} s)` : ''}.`,
        { details: { path: file, waitedMs: waitMs } },
      );
    }
    await sleep(Math.min(RETRY_MS, Math.max(0, until - Date.now())));
  }
  return {
    release() {
      if (!db.open) return;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

/**
 * Whether a run holds job `job` on `file` right now: how `batch status` tells a live run from
 * one that died (kill -9, a crash) and left its status "running". The probe takes the lock for
 * an instant, so a run starting at that very instant waits for it (runs take their lock with a
 * grace of a second or two). False when the lock file cannot be read at all (read-only media).
 */
export function isJobRunning(file: string, job: string): boolean {
  let db: SqliteDatabase;
  try {
    db = openSqliteDriver(join(`${file}.locks`, `${job}.lock`), { timeout: 0 });
  } catch {
    return false;
  }
  try {
    if (!tryLock(db)) return true;
    db.exec('ROLLBACK');
    return false;
  } catch {
    return false;
  } finally {
    db.close();
  }
}
