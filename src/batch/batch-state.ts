/**
 * A batch's status, current and finished, in one SQLite file written as the batch goes: its
 * runs, and per run each mailbox's status and counts. `batch status` and `batch list` read it
 * (also while a run is going); a run killed mid-way is continued from it.
 */
import { openSqliteFile, type SqliteDatabase } from '../sinks/sqlite-file.js';

/** An error as status, reports and notifications show it: code, message, hint; never a secret. */
export interface ReportedError {
  code: string;
  message: string;
  hint?: string;
}

export type MailboxStatus = 'queued' | 'checking' | 'running' | 'done' | 'failed' | 'skipped';
export type RunStatus = 'running' | 'done' | 'failed' | 'stopped';

/** One mailbox's line in the status table. */
export interface MailboxState {
  key: string;
  label: string;
  line: number;
  status: MailboxStatus;
  attempts: number;
  foldersDone: number;
  foldersTotal: number | null;
  seen: number;
  copied: number;
  duplicates: number;
  failed: number;
  bytes: number;
  startedAt: string | null;
  endedAt: string | null;
  error: ReportedError | null;
  /** Per folder of the last attempt: what was copied. */
  folders: { folder: string; seen: number; copied: number; duplicates: number; failed: number }[];
  /** A queued batch: the worker (host:pid) that runs or ran it. */
  worker?: string;
}

export interface RunState {
  id: number;
  name: string;
  status: RunStatus;
  startedAt: string;
  endedAt: string | null;
}

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

export class BatchState {
  private constructor(private readonly db: SqliteDatabase) {}

  /** Opens (or creates, owner-only) the state file; `readonly` for status and list. */
  static open(path: string, options: { readonly?: boolean } = {}): BatchState {
    const db = openSqliteFile(path, 'batch state file', {
      ...(options.readonly ? { readonly: true } : {}),
    });
    if (!options.readonly) db.exec(SCHEMA);
    return new BatchState(db);
  }

  close(): void {
    this.db.close();
  }

  runs(): RunState[] {
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

  /** The run a new `batch run` continues: the last one, when it never ended. */
  unfinishedRun(): RunState | undefined {
    const last = this.runs().at(-1);
    return last && last.status === 'running' ? last : undefined;
  }

  startRun(name: string, mailboxes: { key: string; label: string; line: number }[]): number {
    return this.db.transaction(() => {
      const { lastInsertRowid } = this.db
        .prepare("INSERT INTO batch_runs (name, status, started_at) VALUES (?, 'running', ?)")
        .run(name, now());
      const id = Number(lastInsertRowid);
      this.addMailboxes(id, mailboxes);
      return id;
    })();
  }

  /** Mailboxes listed now that the run does not know yet (the list was edited): queued. */
  addMailboxes(runId: number, mailboxes: { key: string; label: string; line: number }[]): void {
    const insert = this.db.prepare(
      "INSERT OR IGNORE INTO batch_mailboxes (run_id, key, label, line, status) VALUES (?, ?, ?, ?, 'queued')",
    );
    for (const m of mailboxes) insert.run(runId, m.key, m.label, m.line);
  }

  mailboxes(runId: number): MailboxState[] {
    return (
      this.db
        .prepare('SELECT * FROM batch_mailboxes WHERE run_id = ? ORDER BY line, key')
        .all(runId) as MailboxRow[]
    ).map(fromRow);
  }

  update(runId: number, key: string, change: Partial<MailboxState>): void {
    const columns: Record<string, unknown> = {
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
      error:
        change.error === undefined
          ? undefined
          : change.error === null
            ? null
            : JSON.stringify(change.error),
      folders: change.folders === undefined ? undefined : JSON.stringify(change.folders),
    };
    const set = Object.entries(columns).filter(([, value]) => value !== undefined);
    if (set.length === 0) return;
    this.db
      .prepare(
        `UPDATE batch_mailboxes SET ${set.map(([name]) => `${name} = ?`).join(', ')} WHERE run_id = ? AND key = ?`,
      )
      .run(...(set.map(([, value]) => value) as never[]), runId, key);
  }

  /** Mailboxes some run of this batch has imported: their destination's mail is the batch's own. */
  importedBefore(): Set<string> {
    const rows = this.db
      .prepare("SELECT DISTINCT key FROM batch_mailboxes WHERE status = 'done'")
      .all() as { key: string }[];
    return new Set(rows.map((row) => row.key));
  }

  endRun(runId: number, status: RunStatus, report: unknown): void {
    this.db
      .prepare('UPDATE batch_runs SET status = ?, ended_at = ?, report = ? WHERE id = ?')
      .run(status, now(), JSON.stringify(report), runId);
  }

  report(runId: number): unknown {
    const row = this.db.prepare('SELECT report FROM batch_runs WHERE id = ?').get(runId) as
      | { report: string | null }
      | undefined;
    return row?.report ? JSON.parse(row.report) : undefined;
  }
}
