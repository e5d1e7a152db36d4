import type { SqliteDatabase } from '../sinks/sqlite-file.js';
import type { MessageIdentity } from '../write/message-identity.js';

/** What a POP3 import job knows of one message, by its UIDL. */
export interface Pop3Entry {
  uidl: string;
  /** The job's number for it: the UID rows and the archive give it. */
  id: number;
  /** intent: a store was about to happen (checked at the destination on restart). */
  status: 'stored' | 'failed' | 'intent';
  identity?: MessageIdentity;
  /** When the mailbox got it (ISO 8601), for deletion by age. */
  received?: string;
  code?: string;
  message?: string;
}

interface Pop3Row {
  uidl: string;
  id: number;
  status: Pop3Entry['status'];
  identity: string | null;
  received: string | null;
  code: string | null;
  message: string | null;
}

/**
 * A POP3 import's journal in the import's SQLite file (the archive, or the state file of an
 * IMAP destination; the table is created with the import state's): per UIDL whether the
 * message is stored, failed (tried again next run) or in flight. POP3 has no UIDs and no
 * order to resume from, so every message the server lists is looked up here by its UIDL.
 */
export class Pop3State {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly job: string,
  ) {}

  entries(): Map<string, Pop3Entry> {
    const rows = this.db
      .prepare(
        'SELECT uidl, id, status, identity, received, code, message FROM pop3_message WHERE job = ?',
      )
      .all(this.job) as Pop3Row[];
    return new Map(
      rows.map((row) => [
        row.uidl,
        {
          uidl: row.uidl,
          id: row.id,
          status: row.status,
          ...(row.identity ? { identity: JSON.parse(row.identity) as MessageIdentity } : {}),
          ...(row.received ? { received: row.received } : {}),
          ...(row.code ? { code: row.code } : {}),
          ...(row.message ? { message: row.message } : {}),
        },
      ]),
    );
  }

  /** The number of a UIDL not seen before: one more than the highest this job gave. */
  nextId(): number {
    const row = this.db
      .prepare('SELECT COALESCE(MAX(id), 0) AS top FROM pop3_message WHERE job = ?')
      .get(this.job) as { top: number };
    return row.top + 1;
  }

  /** A store is about to be sent: on restart it is looked for at the destination first. */
  intend(uidl: string, id: number, identity: MessageIdentity, received: Date | undefined): void {
    this.put(uidl, id, 'intent', { identity: JSON.stringify(identity), received: iso(received) });
  }

  stored(uidl: string, id: number, received: Date | string | undefined): void {
    this.put(uidl, id, 'stored', {
      received: typeof received === 'string' ? received : iso(received),
    });
  }

  failed(uidl: string, id: number, code: string, message: string): void {
    this.put(uidl, id, 'failed', { code, message });
  }

  /** Failed messages the server no longer lists are not owed any more. */
  forgetFailed(uidls: readonly string[]): void {
    const drop = this.db.prepare(
      "DELETE FROM pop3_message WHERE job = ? AND uidl = ? AND status = 'failed'",
    );
    this.db.transaction(() => {
      for (const uidl of uidls) drop.run(this.job, uidl);
    })();
  }

  private put(
    uidl: string,
    id: number,
    status: Pop3Entry['status'],
    extra: { identity?: string; received?: string | null; code?: string; message?: string },
  ): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO pop3_message (job, uidl, id, status, identity, received, code, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        this.job,
        uidl,
        id,
        status,
        extra.identity ?? null,
        extra.received ?? null,
        extra.code ?? null,
        extra.message ?? null,
      );
  }
}

function iso(date: Date | undefined): string | null {
  return date ? date.toISOString() : null;
}
