/**
 * Search over an archive's rows: an in-memory SQLite FTS5 index of sender, recipients, subject
 * and attachment names (diacritics folded, words matched by prefix), beside a table for the
 * date range and the result list. Built from Archive.rows() on first use and again whenever
 * the archive holds another number of messages (a batch still filling it).
 */
import type { Archive } from '../sinks/archive-db.js';
import { openDatabase, type SqliteDatabase } from '../sinks/sqlite-driver.js';

export interface SearchQuery {
  from?: string;
  to?: string;
  subject?: string;
  attachment?: string;
  /** YYYY-MM-DD, inclusive. */
  since?: string;
  /** YYYY-MM-DD, inclusive. */
  until?: string;
  limit?: number;
}

export interface SearchHit {
  id: number;
  account: string;
  folder: string;
  uid: number;
  date: string | null;
  from: string;
  to: string;
  subject: string;
  size: number;
  attachments: string[];
}

export const MAX_HITS = 500;

type Address = { name?: string | null; address?: string | null };

function addresses(value: unknown): string {
  if (!Array.isArray(value)) return '';
  return (value as Address[])
    .map((a) => [a.name, a.address ? `<${a.address}>` : ''].filter(Boolean).join(' '))
    .join(', ');
}

function attachmentNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return (value as { filename?: string | null }[])
    .map((a) => a.filename)
    .filter((name): name is string => typeof name === 'string' && name !== '');
}

/** A field's words as an FTS5 query: every word, each a prefix, in that column. */
function matchOf(column: string, text: string | undefined): string | undefined {
  const words = (text ?? '').split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  return words.map((word) => `${column} : "${word.replace(/"/g, '""')}"*`).join(' AND ');
}

export class ArchiveIndex {
  private db: SqliteDatabase | undefined;
  private indexed = -1;

  constructor(private readonly archive: Archive) {}

  private build(): SqliteDatabase {
    const messages = this.archive.stats().messages;
    if (this.db && messages === this.indexed) return this.db;
    this.db?.close();
    const db = openDatabase(':memory:', { readonly: false, busyTimeoutMs: 0 });
    db.exec(`
      CREATE TABLE hits (id INTEGER PRIMARY KEY, account TEXT, folder TEXT, uid INTEGER, date TEXT,
        sender TEXT, recipients TEXT, subject TEXT, size INTEGER, attachments TEXT);
      CREATE INDEX hits_by_date ON hits (date);
      CREATE VIRTUAL TABLE words USING fts5(sender, recipients, subject, attachments,
        tokenize = 'unicode61 remove_diacritics 2');`);
    const hit = db.prepare('INSERT INTO hits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const word = db.prepare(
      'INSERT INTO words (rowid, sender, recipients, subject, attachments) VALUES (?, ?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (const entry of this.archive.rows()) {
        const row = entry.row;
        const date = typeof row.date === 'string' ? row.date : entry.internalDate;
        const sender = addresses(row.from);
        const recipients = [row.to, row.cc, row.bcc].map(addresses).filter(Boolean).join(', ');
        const subject = typeof row.subject === 'string' ? row.subject : '';
        const names = attachmentNames(row.attachments);
        hit.run(
          entry.id,
          entry.account,
          entry.folder,
          entry.uid,
          date,
          sender,
          recipients,
          subject,
          entry.size,
          JSON.stringify(names),
        );
        word.run(entry.id, sender, recipients, subject, names.join(' '));
      }
    })();
    this.db = db;
    this.indexed = messages;
    return db;
  }

  search(query: SearchQuery): { hits: SearchHit[]; total: number } {
    const db = this.build();
    const match = [
      matchOf('sender', query.from),
      matchOf('recipients', query.to),
      matchOf('subject', query.subject),
      matchOf('attachments', query.attachment),
    ]
      .filter(Boolean)
      .join(' AND ');
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (match) {
      where.push('h.id IN (SELECT rowid FROM words WHERE words MATCH ?)');
      params.push(match);
    }
    if (query.since) {
      where.push('h.date >= ?');
      params.push(query.since);
    }
    if (query.until) {
      // Inclusive: everything before the next day.
      where.push('h.date < ?');
      params.push(`${query.until}\uffff`);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (
      db.prepare(`SELECT count(*) AS n FROM hits h ${clause}`).get(...params) as { n: number }
    ).n;
    const limit = Math.min(query.limit ?? 100, MAX_HITS);
    const rows = db
      .prepare(`SELECT * FROM hits h ${clause} ORDER BY h.date DESC, h.id DESC LIMIT ${limit}`)
      .all(...params) as {
      id: number;
      account: string;
      folder: string;
      uid: number;
      date: string | null;
      sender: string;
      recipients: string;
      subject: string;
      size: number;
      attachments: string;
    }[];
    return {
      total: Number(total),
      hits: rows.map((r) => ({
        id: Number(r.id),
        account: r.account,
        folder: r.folder,
        uid: Number(r.uid),
        date: r.date,
        from: r.sender,
        to: r.recipients,
        subject: r.subject,
        size: Number(r.size),
        attachments: JSON.parse(r.attachments) as string[],
      })),
    };
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}
