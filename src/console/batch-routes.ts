/**
 * Batches in the console: the list with each batch's runs, a new batch from an uploaded CSV,
 * the preflight (the page enables Start only after it), start and stop, the live status as
 * server-sent events, and a finished run's report.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ConfigError } from '../errors.js';
import { ConsoleBatches } from './console-batches.js';
import { notFound } from './console-errors.js';

// A mailbox list beyond this is not an upload for a browser form.
const MAX_CSV_BYTES = 10 * 1024 * 1024;
const EVENT_INTERVAL_MS = 1000;
const KEEPALIVE_MS = 15_000;

function text(form: Record<string, unknown>, field: string): string | undefined {
  const value = form[field];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The profile fields of the New batch form: source server, destination, a few settings. */
function profileOf(form: Record<string, unknown>): Record<string, unknown> {
  const server = (prefix: string) => ({
    server: text(form, `${prefix}Server`),
    ...(text(form, `${prefix}Port`) ? { port: Number(text(form, `${prefix}Port`)) } : {}),
    ...(text(form, `${prefix}Security`) ? { security: text(form, `${prefix}Security`) } : {}),
  });
  const destination =
    text(form, 'destination') === 'imap'
      ? { imap: server('destination') }
      : { archive: 'mail.archive' };
  const parallel = text(form, 'parallelMailboxes');
  return {
    source: server('source'),
    destination,
    ...(parallel ? { throttle: { parallelMailboxes: Number(parallel) } } : {}),
    preflight: { onFailure: 'continue' },
  };
}

export function batchRoutes(batches: ConsoleBatches, signal: AbortSignal): Hono {
  const app = new Hono();

  app.get('/', async (c) => {
    return c.json(await Promise.all(batches.names().map((name) => batches.status(name))));
  });

  app.post('/', async (c) => {
    const form = (await c.req.parseBody()) as Record<string, unknown>;
    const file = form.csv;
    if (!(file instanceof File) || file.size === 0)
      throw new ConfigError([{ field: '/csv', message: 'choose the CSV file of the mailboxes' }]);
    if (file.size > MAX_CSV_BYTES)
      throw new ConfigError([
        {
          field: '/csv',
          message: `the CSV file is larger than ${MAX_CSV_BYTES / 1024 / 1024} MB`,
        },
      ]);
    const name = text(form, 'name') ?? '';
    const csv = new Uint8Array(await file.arrayBuffer());
    batches.create({ name, profile: profileOf(form), csv });
    return c.json({ ok: true, name });
  });

  app.put('/:name/csv', async (c) => {
    const form = (await c.req.parseBody()) as Record<string, unknown>;
    const file = form.csv;
    if (!(file instanceof File) || file.size === 0)
      throw new ConfigError([{ field: '/csv', message: 'choose the CSV file of the mailboxes' }]);
    const mailboxes = await batches.replaceList(
      c.req.param('name'),
      new Uint8Array(await file.arrayBuffer()),
    );
    return c.json({ ok: true, mailboxes });
  });

  // The settings of the New batch form, and perhaps a new name; never while it runs.
  app.put('/:name/settings', async (c) => {
    const form = (await c.req.parseBody()) as Record<string, unknown>;
    const name = c.req.param('name');
    const { preflight: _preflight, ...settings } = profileOf(form);
    return c.json({
      ok: true,
      name: await batches.updateSettings(name, settings, text(form, 'name') ?? name),
    });
  });

  app.post('/:name/retry-failed', async (c) => {
    await batches.retryFailed(c.req.param('name'));
    return c.json({ ok: true });
  });

  app.delete('/:name', async (c) => {
    await batches.remove(c.req.param('name'));
    return c.json({ ok: true });
  });

  app.get('/:name', async (c) => {
    return c.json({
      ...(await batches.status(c.req.param('name'))),
      preflight: batches.lastPreflight(c.req.param('name')) ?? null,
    });
  });

  app.post('/:name/preflight', async (c) => {
    return c.json({ ok: true, results: await batches.preflight(c.req.param('name'), signal) });
  });

  app.post('/:name/start', (c) => {
    batches.start(c.req.param('name'));
    return c.json({ ok: true });
  });

  app.post('/:name/stop', async (c) => {
    return c.json({ ok: true, stopped: await batches.stop(c.req.param('name')) });
  });

  app.get('/:name/report/:run', (c) => {
    const report = batches.report(c.req.param('name'), Number(c.req.param('run')));
    if (!report) throw notFound('report for that run');
    return c.json(report);
  });

  // The live status for as long as the page listens (issue 28): whatever starts a run (this
  // page's Start, another page, the CLI) and whenever, the page sees it. Checked once a second
  // and sent when it changed; a comment line keeps an idle stream from being cut by proxies.
  // A reconnecting EventSource (Last-Event-ID) gets the current status at once: each event is
  // the whole status, so nothing between two events is lost.
  app.get('/:name/events', async (c) => {
    const name = c.req.param('name');
    await batches.status(name); // an unknown batch is a 404 before the stream starts
    return streamSSE(c, async (stream) => {
      let sent = '';
      let id = Number(c.req.header('last-event-id')) || 0;
      let quiet = 0;
      while (!stream.aborted && !signal.aborted) {
        const data = JSON.stringify(await batches.status(name));
        if (data !== sent) {
          await stream.writeSSE({ event: 'status', data, id: String(++id), retry: 2000 });
          sent = data;
          quiet = 0;
        } else if (++quiet * EVENT_INTERVAL_MS >= KEEPALIVE_MS) {
          await stream.write(': keepalive\n\n');
          quiet = 0;
        }
        await stream.sleep(EVENT_INTERVAL_MS);
      }
    });
  });

  return app;
}
