import { compileProjection, type Projection } from './projection.js';

/** What a read asks for: which row fields (and so which FETCH items), and an optional projection. */
export interface Select {
  /** envelope: no body bytes are downloaded. full: bodies, text, html, attachment hashes. */
  level: 'envelope' | 'full';
  projection: Projection | null;
  /** Extra header fields to put in row.headers. */
  headers: string[];
  /** Put the exact source (base64) in row.raw, e.g. to write() it elsewhere. */
  raw: boolean;
  attachmentContentMaxBytes?: number;
}

export interface SelectOptions {
  /** "envelope" (default), "full", or a JSONata expression over the full row. */
  select?: string;
  headers?: string[];
  /** Include the exact source in row.raw (base64). */
  raw?: boolean;
  /** Include attachment content (base64) up to this many bytes each. */
  attachmentContentMaxBytes?: number;
}

// A projection that reads these needs the body; anything else is answered from the envelope.
const BODY_FIELDS = /\b(text|html|sha256|content)\b|\battachments\s*\.\s*size\b/;

/**
 * Resolves the select option. A JSONata expression gets the envelope level unless it names a
 * body field, so a projection of envelope fields never downloads bodies.
 * @throws QUERY_INVALID for a broken JSONata expression, before anything is fetched.
 */
export function resolveSelect(options: SelectOptions = {}, timeoutMs?: number): Select {
  const text = (options.select ?? 'envelope').trim();
  const headers = options.headers ?? [];
  const base = {
    raw: options.raw ?? false,
    ...(options.attachmentContentMaxBytes === undefined
      ? {}
      : { attachmentContentMaxBytes: options.attachmentContentMaxBytes }),
  };
  if (text === 'envelope' || text === 'full') {
    return {
      level: options.attachmentContentMaxBytes !== undefined ? 'full' : text,
      projection: null,
      headers,
      ...base,
    };
  }
  const projection = compileProjection(text, timeoutMs);
  const level =
    BODY_FIELDS.test(text) || options.attachmentContentMaxBytes !== undefined ? 'full' : 'envelope';
  return { level, projection, headers, ...base };
}
