import type { Context } from 'hono';
import { isConnectorError, makeError } from '../errors.js';

/**
 * A failed operation as the console answers it: the error's code, message and hint (built
 * without secrets), HTTP 400 for what the user can fix in the form, 502 when the server failed.
 */
export function errorResponse(c: Context, error: unknown): Response {
  const known = isConnectorError(error)
    ? error
    : makeError('INTERNAL', `Unexpected error: ${(error as Error)?.message ?? String(error)}`);
  const status = ['config', 'query', 'auth'].includes(known.kind) ? 400 : 502;
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
