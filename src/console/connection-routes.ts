/**
 * Connections in the console: the manifest (the form is drawn from it alone), validation as
 * the user types, Test Connection, Test Query, Preview (the first page as a table, then what the
 * next scheduled run would get from its cursor: new mail and, with Changes on, flag changes and
 * deletions), and saved connections whose secrets are write-only.
 */
import { Hono } from 'hono';
import { ConfigError, isConnectorError } from '../errors.js';
import { testConnection } from '../imap/test-connection.js';
import { MANIFEST } from '../manifest.js';
import { read } from '../read/read.js';
import { testQuery } from '../read/test-query.js';
import { validateConfig } from '../config/validate-config.js';
import { jsonBody, notFound } from './console-errors.js';
import { ConnectionProfiles, mergeStoredSecrets } from './connection-profiles.js';

const PREVIEW_ROWS = 20;

function objectOf(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError([{ field, message: `${field.slice(1)} must be an object` }]);
  return value as Record<string, unknown>;
}

/** The query box's text; an empty box reads every message. */
function queryOf(body: Record<string, unknown>): string {
  return typeof body.query === 'string' && body.query.trim() !== '' ? body.query : 'ALL';
}

function cursorOf(body: Record<string, unknown>): string | undefined {
  if (body.cursor === undefined) return undefined;
  if (typeof body.cursor !== 'string')
    throw new ConfigError([{ field: '/cursor', message: 'cursor must be a string' }]);
  return body.cursor;
}

/**
 * The connection API. Errors thrown here reach the console app's error handler, which answers
 * with the code, message and hint.
 */
export function connectionRoutes(profiles: ConnectionProfiles, signal: AbortSignal): Hono {
  const app = new Hono();

  /** The config of a request: the form's values, with a saved connection's secrets where left empty. */
  function configOf(body: Record<string, unknown>): Record<string, unknown> {
    const form = objectOf(body.config, '/config');
    const saved = typeof body.profile === 'string' ? profiles.withSecrets(body.profile) : undefined;
    return mergeStoredSecrets(form, saved);
  }

  app.get('/manifest', (c) => c.json(MANIFEST));

  app.post('/validate', async (c) => {
    try {
      validateConfig(configOf(await jsonBody(c)));
      return c.json({ ok: true });
    } catch (error) {
      // Problems with the settings are the answer here (HTTP 200), not a failure of the
      // request; in the one failure shape, the problems in error.details.issues.
      if (isConnectorError(error) && Array.isArray(error.details?.issues))
        return c.json({ ok: false, error: error.toJSON() });
      throw error;
    }
  });

  // testConnection reports a failure in its result: code, message, hint, no secret.
  app.post('/test', async (c) =>
    c.json(await testConnection(configOf(await jsonBody(c)), { signal })),
  );

  app.post('/test-query', async (c) => {
    const body = await jsonBody(c);
    return c.json(await testQuery(configOf(body), queryOf(body), { signal, sampleSize: 5 }));
  });

  // With a cursor (the one a preview returned), the page a scheduled run would read next.
  // The cursor holds UIDs and digests, no secret; read() refuses a forged one (CURSOR_INVALID).
  app.post('/preview', async (c) => {
    const body = await jsonBody(c);
    const cursor = cursorOf(body);
    const page = await read(configOf(body), queryOf(body), {
      signal,
      pageSize: PREVIEW_ROWS,
      ...(cursor === undefined ? {} : { cursor }),
    });
    return c.json({
      ok: true,
      rows: page.rows,
      done: page.done,
      cursor: page.cursor,
      fromCursor: cursor !== undefined,
      warnings: page.warnings,
    });
  });

  app.get('/', (c) => c.json(profiles.list()));

  app.get('/:name', (c) => {
    const profile = profiles.get(c.req.param('name'));
    if (!profile) throw notFound('saved connection');
    return c.json(profile);
  });

  app.put('/:name', async (c) => {
    const name = c.req.param('name');
    const config = mergeStoredSecrets(
      objectOf((await jsonBody(c)).config, '/config'),
      profiles.withSecrets(name),
    );
    // Saved only when valid: a profile is a config the CLI can use as it is.
    validateConfig(config);
    return c.json(profiles.save(name, config));
  });

  app.delete('/:name', (c) => {
    profiles.remove(c.req.param('name'));
    return c.json({ ok: true });
  });

  return app;
}
