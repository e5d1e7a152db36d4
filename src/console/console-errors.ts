import type { Context } from 'hono';
import { ConfigError, isConnectorError, makeError, type ConnectorError } from '../errors.js';

/**
 * A failed request as the console answers it, in the one failure shape of the connector:
 * `{ok: false, error: {code, message, hint, retryable, details}}` (built without secrets); HTTP
 * 404 for a name it does not know, 400 for what the user can fix in the form, 502 when the
 * server failed.
 */
export function errorResponse(c: Context, error: unknown): Response {
  const known = isConnectorError(error)
    ? error
    : makeError('INTERNAL', `Unexpected error: ${(error as Error)?.message ?? String(error)}`);
  const status =
    known.code === 'NOT_FOUND'
      ? 404
      : known.code === 'JOB_BUSY'
        ? 409
        : ['config', 'query', 'auth'].includes(known.kind)
          ? 400
          : 502;
  return c.json({ ok: false, error: known.toJSON() }, status);
}

/** The JSON body of a request, or a CONFIG_INVALID naming what was expected. */
export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw makeError('CONFIG_INVALID', 'The request body must be a JSON object.', { field: '/' });
  return body as Record<string, unknown>;
}

/** NOT_FOUND for a name the console does not know (a path is never echoed). */
export function notFound(what: string): ConnectorError {
  return makeError('NOT_FOUND', `No ${what} of that name.`);
}

/** What may name a saved connection, batch or import: it becomes a file or folder name. */
const STORED_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isStoredName(name: string): boolean {
  return STORED_NAME.test(name);
}

/**
 * `name` when it may name a saved thing, else CONFIG_INVALID at /name ("a batch name is ...").
 * @param what "a batch", "a connection", "an import"
 */
export function storedName(name: string, what: string): string {
  if (!isStoredName(name))
    throw new ConfigError([
      {
        field: '/name',
        message: `${what} name is 1-64 letters, digits, dots, dashes or underscores`,
      },
    ]);
  return name;
}
