/**
 * A local batch's records (RunRecords) in one SQLite file beside the profile, written as the
 * batch goes: its runs, and per run each mailbox's status and counts. `batch status` and
 * `batch list` read it (also while a run is going); a run killed mid-way is continued from it.
 */
import { openSqliteFile, type SqliteDatabase } from '../sinks/sqlite-file.js';
import type {
  ListedMailbox,
  MailboxState,
  MailboxStatus,
  RunState,
  RunStatus,
} from './mailbox-state.js';
import type { RowGuard, RunRecords } from './run-records.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batch_runs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  report TEXT
);
CREATE TABLE IF NOT EXISTS batch_mailboxes (
  run_id INTEGER NOT NULL REFERENCES batch_runs (id),
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  line INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  folders_done INTEGER NOT NULL DEFAULT 0,
  folders_total INTEGER,
  seen INTEGER NOT NULL DEFAULT 0,
  copied INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  started_at TEXT,
  ended_at TEXT,
  error TEXT,
  folders TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (run_id, key)
);
`;

interface MailboxRow {
  key: string;
  label: string;
  line: number;
  status: MailboxStatus;
  attempts: number;
  folders_done: number;
  folders_total: number | null;
  seen: number;
  copied: number;
  duplicates: number;
  failed: number;
  bytes: number;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  folders: string;
}

function fromRow(row: MailboxRow): MailboxState {
  return {
    key: row.key,
    label: row.label,
    line: row.line,
    status: row.status,
    attempts: row.attempts,
    foldersDone: row.folders_done,
    foldersTotal: row.folders_total,
    seen: row.seen,
    copied: row.copied,
    duplicates: row.duplicates,
    failed: row.failed,
    bytes: row.bytes,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    error: row.error ? (JSON.parse(row.error) as MailboxState['error']) : null,
    folders: JSON.parse(row.folders) as MailboxState['folders'],
  };
}

const now = (): string => new Date().toISOString();

export class SqliteRunRecords implements RunRecords {
  private constructor(private readonly db: SqliteDatabase) {}

  /** Opens (or creates, owner-only) the state file; `readonly` for status and list. */
  static open(path: string, options: { readonly?: boolean } = {}): SqliteRunRecords {
    const db = openSqliteFile(path, 'batch state file', {
      ...(options.readonly ? { readonly: true } : {}),
    });
    if (!options.readonly) db.exec(SCHEMA);
    return new SqliteRunRecords(db);
  }

  close(): void {
    this.db.close();
  }

  private allRuns(): RunState[] {
    return (
      this.db
        .prepare('SELECT id, name, status, started_at, ended_at FROM batch_runs ORDER BY id')
        .all() as {
        id: number;
        name: string;
        status: RunStatus;
        started_at: string;
        ended_at: string | null;
      }[]
    ).map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      startedAt: r.started_at,
      endedAt: r.ended_at,
    }));
  }

  async runs(): Promise<RunState[]> {
    return this.allRuns();
  }

  /** The run a new `batch run` continues: the last one, when it never ended. */
  private unfinishedRun(): RunState | undefined {
    const last = this.allRuns().at(-1);
    return last && last.status === 'running' ? last : undefined;
  }

  async openRun(name: string, mailboxes: readonly ListedMailbox[]): Promise<RunState> {
    // One transaction: the run and its list appear together, or not at all.
    return this.db.transaction(() => {
      const unfinished = this.unfinishedRun();
      if (unfinished) {
        this.addMailboxes(unfinished.id, mailboxes);
        return unfinished;
      }
      const startedAt = now();
      const { lastInsertRowid } = this.db
        .prepare("INSERT INTO batch_runs (name, status, started_at) VALUES (?, 'running', ?)")
        .run(name, startedAt);
      const id = Number(lastInsertRowid);
      this.addMailboxes(id, mailboxes);
      return { id, name, status: 'running' as const, startedAt, endedAt: null };
    })();
  }

  /** Mailboxes listed now that the run does not know yet (the list was edited): queued. */
  private addMailboxes(runId: number, mailboxes: readonly ListedMailbox[]): void {
    const insert = this.db.prepare(
      "INSERT OR IGNORE INTO batch_mailboxes (run_id, key, label, line, status) VALUES (?, ?, ?, ?, 'queued')",
    );
    for (const m of mailboxes) insert.run(runId, m.key, m.label, m.line);
  }

  async mailboxes(runId: number): Promise<MailboxState[]> {
    return (
      this.db
        .prepare('SELECT * FROM batch_mailboxes WHERE run_id = ? ORDER BY line, key')
        .all(runId) as MailboxRow[]
    ).map(fromRow);
  }

  async mailbox(runId: number, key: string): Promise<MailboxState | undefined> {
    const row = this.db
      .prepare('SELECT * FROM batch_mailboxes WHERE run_id = ? AND key = ?')
      .get(runId, key) as MailboxRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  async update(
    runId: number,
    key: string,
    change: Partial<MailboxState>,
    expect?: RowGuard,
  ): Promise<boolean> {
    const columns = columnsOf(change);
    const set = Object.entries(columns).filter(([, value]) => value !== undefined);
    if (set.length === 0) return (await this.mailbox(runId, key)) !== undefined;
    // A local batch has one process (its lock): the guard is the attempt count alone.
    const guard = expect ? ' AND attempts = ?' : '';
    const { changes } = this.db
      .prepare(
        `UPDATE batch_mailboxes SET ${set.map(([name]) => `${name} = ?`).join(', ')} WHERE run_id = ? AND key = ?${guard}`,
      )
      .run(
        ...(set.map(([, value]) => value) as never[]),
        runId,
        key,
        ...((expect ? [expect.attempts] : []) as never[]),
      );
    return Number(changes) === 1;
  }

  async importedBefore(): Promise<Set<string>> {
    const rows = this.db
      .prepare("SELECT DISTINCT key FROM batch_mailboxes WHERE status = 'done'")
      .all() as { key: string }[];
    return new Set(rows.map((row) => row.key));
  }

  async endRun(runId: number, status: RunStatus, report: unknown): Promise<boolean> {
    const { changes } = this.db
      .prepare(
        'UPDATE batch_runs SET status = ?, ended_at = ?, report = ? WHERE id = ? AND ended_at IS NULL',
      )
      .run(status, now(), JSON.stringify(report), runId);
    return Number(changes) === 1;
  }

  async saveReport(runId: number, report: unknown): Promise<void> {
    this.db
      .prepare('UPDATE batch_runs SET report = ? WHERE id = ?')
      .run(JSON.stringify(report), runId);
  }

  async report(runId: number): Promise<unknown> {
    const row = this.db.prepare('SELECT report FROM batch_runs WHERE id = ?').get(runId) as
      | { report: string | null }
      | undefined;
    return row?.report ? JSON.parse(row.report) : undefined;
  }
}

/** The table's columns for a change of a mailbox row; undefined where the change leaves them. */
function columnsOf(change: Partial<MailboxState>): Record<string, unknown> {
  const json = (value: unknown): string | null | undefined =>
    value === undefined ? undefined : value === null ? null : JSON.stringify(value);
  return {
    status: change.status,
    attempts: change.attempts,
    folders_done: change.foldersDone,
    folders_total: change.foldersTotal,
    seen: change.seen,
    copied: change.copied,
    duplicates: change.duplicates,
    failed: change.failed,
    bytes: change.bytes,
    started_at: change.startedAt,
    ended_at: change.endedAt,
    error: json(change.error),
    folders: json(change.folders),
  };
}
