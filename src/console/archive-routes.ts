/**
 * The archive in the console: stats per account and folder, search, one message shown safely,
 * a message as .eml and a folder as mbox.
 */
import { Hono } from 'hono';
import { makeError } from '../errors.js';
import { Archive } from '../sinks/archive-db.js';
import { mboxEntry } from '../sinks/archive-export.js';
import { ArchiveIndex, MAX_HITS, type SearchQuery } from './archive-search.js';
import { MESSAGE_FRAME_CSP } from './console-security.js';
import { notFound } from './console-errors.js';
import { attachmentOf, viewOf } from './message-view.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The archives the console shows, by name: opened read-only on first use, kept open. */
export class ConsoleArchives {
  private readonly open = new Map<string, { archive: Archive; index: ArchiveIndex }>();

  constructor(private readonly paths: () => Map<string, string>) {}

  names(): string[] {
    return [...this.paths().keys()];
  }

  private pathOf(name: string): string {
    const path = this.paths().get(name);
    if (!path)
      throw makeError('FOLDER_NOT_FOUND', `No archive named ${JSON.stringify(name)}.`, {
        field: '/archive',
      });
    return path;
  }

  get(name: string): { archive: Archive; index: ArchiveIndex } {
    const known = this.open.get(name);
    if (known) return known;
    const archive = Archive.open(this.pathOf(name), { create: false, readonly: true });
    const entry = { archive, index: new ArchiveIndex(archive) };
    this.open.set(name, entry);
    return entry;
  }

  /** A connection of its own for a long read; the caller closes it. */
  openAnother(name: string): Archive {
    return Archive.open(this.pathOf(name), { create: false, readonly: true });
  }

  close(): void {
    for (const { archive, index } of this.open.values()) {
      index.close();
      archive.close();
    }
    this.open.clear();
  }
}

function searchOf(params: Record<string, string>): SearchQuery {
  const query: SearchQuery = {};
  for (const field of ['from', 'to', 'subject', 'attachment'] as const)
    if (params[field]?.trim()) query[field] = params[field].trim();
  for (const field of ['since', 'until'] as const) {
    const value = params[field]?.trim();
    if (!value) continue;
    // 2024-02-30 has the shape of a date and is none: it must read back as itself.
    const day = new Date(`${value}T00:00:00Z`);
    if (!DATE.test(value) || Number.isNaN(day.getTime()) || !day.toISOString().startsWith(value))
      throw makeError('QUERY_INVALID', `${field} must be a date as YYYY-MM-DD.`, {
        field: `/${field}`,
      });
    query[field] = value;
  }
  if (params.limit !== undefined) {
    const limit = Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HITS)
      throw makeError('QUERY_INVALID', `limit must be a whole number from 1 to ${MAX_HITS}.`, {
        field: '/limit',
      });
    query.limit = limit;
  }
  return query;
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'message';
}

export function archiveRoutes(archives: ConsoleArchives): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    return c.json(
      archives.names().map((name) => ({ name, stats: archives.get(name).archive.stats() })),
    );
  });

  app.get('/:name/search', (c) => {
    const started = performance.now();
    const result = archives.get(c.req.param('name')).index.search(searchOf(c.req.query()));
    return c.json({ ...result, elapsedMs: Math.round(performance.now() - started) });
  });

  function messageOf(name: string, id: string) {
    const message = archives.get(name).archive.message(Number(id));
    if (!message)
      throw makeError('FOLDER_NOT_FOUND', `No message ${id} in this archive.`, { field: '/id' });
    if (message.damage)
      throw makeError('ARCHIVE_DAMAGED', `Message ${id} is damaged: ${message.damage}`);
    return message;
  }

  app.get('/:name/messages/:id', async (c) => {
    const message = messageOf(c.req.param('name'), c.req.param('id'));
    const { view } = await viewOf(message.raw);
    return c.json({
      ...view,
      account: message.account,
      folder: message.folder,
      uid: message.uid,
      flags: message.flags,
    });
  });

  // The HTML part, sanitized, for a sandboxed frame: its own CSP lets nothing remote load.
  app.get('/:name/messages/:id/html', async (c) => {
    const { html } = await viewOf(messageOf(c.req.param('name'), c.req.param('id')).raw);
    c.header('Content-Security-Policy', MESSAGE_FRAME_CSP);
    c.header('X-Frame-Options', 'SAMEORIGIN');
    return c.html(`<!doctype html><meta charset="utf-8"><base target="_blank">${html ?? ''}`);
  });

  // One attachment, always as a download (never shown as a page of the console's origin).
  app.get('/:name/messages/:id/attachments/:index', async (c) => {
    const message = messageOf(c.req.param('name'), c.req.param('id'));
    const found = await attachmentOf(message.raw, Number(c.req.param('index')));
    if (!found) throw notFound('attachment');
    const file = safeName(found.filename ?? `attachment-${c.req.param('index')}`);
    return c.body(new Uint8Array(found.content), 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="${file}"`,
    });
  });

  app.get('/:name/messages/:id/eml', (c) => {
    const message = messageOf(c.req.param('name'), c.req.param('id'));
    const file = safeName(`${message.folder}-${message.uid}`) + '.eml';
    return c.body(new Uint8Array(message.raw), 200, {
      'Content-Type': 'message/rfc822',
      'Content-Disposition': `attachment; filename="${file}"`,
    });
  });

  // A folder as one mbox file, streamed a message at a time as the browser takes it (issue 28:
  // writing the whole file first blocked every other request). Its own read-only connection:
  // SQLite keeps a connection busy while a query's rows are iterated, and searches go on.
  app.get('/:name/mbox', (c) => {
    const account = c.req.query('account');
    const folder = c.req.query('folder');
    if (!account || !folder)
      throw makeError('QUERY_INVALID', 'account and folder are required.', { field: '/folder' });
    const archive = archives.openAnother(c.req.param('name'));
    const messages = archive.messages({ account, folder });
    const done = () => {
      messages.return(undefined);
      archive.close();
    };
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        for (let next = messages.next(); ; next = messages.next()) {
          if (next.done) {
            done();
            return controller.close();
          }
          // A damaged message is left out, as the CLI's export does (verify lists it).
          if (!next.value.damage) return controller.enqueue(mboxEntry(next.value));
        }
      },
      cancel: done,
    });
    return c.body(body, 200, {
      'Content-Type': 'application/mbox',
      'Content-Disposition': `attachment; filename="${safeName(`${account}-${folder}`)}.mbox"`,
    });
  });

  return app;
}
