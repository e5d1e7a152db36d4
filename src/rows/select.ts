import { compileProjection, type Projection } from './projection.js';

/** What a read asks for: which row fields (and so which FETCH items), and an optional projection. */
export interface Select {
  /**
   * envelope: no body bytes are downloaded. text: the text and html parts only (attachment
   * metadata from BODYSTRUCTURE, no attachment byte). full: the whole source, attachment hashes.
   */
  level: 'envelope' | 'text' | 'full';
  projection: Projection | null;
  /** Extra header fields to put in row.headers. */
  headers: string[];
  /** Put the exact source (base64) in row.raw, e.g. to write() it elsewhere. */
  raw: boolean;
  attachmentContentMaxBytes?: number;
}

export interface SelectOptions {
  /** "envelope" (default), "text", "full", or a JSONata expression over the full row. */
  select?: string;
  headers?: string[];
  /** Include the exact source in row.raw (base64). */
  raw?: boolean;
  /** Include attachment content (base64) up to this many bytes each. */
  attachmentContentMaxBytes?: number;
}

// A projection that reads these needs the whole source; text and html need the text parts
// only; anything else is answered from the envelope.
const SOURCE_FIELDS = /\b(sha256|content)\b|\battachments\s*\.\s*size\b/;
const TEXT_FIELDS = /\b(text|html)\b/;

/**
 * Resolves the select option. A JSONata expression gets the least that answers it (projection
 * pushdown): envelope unless it names text or html (then the text parts) or a hash, an
 * attachment's size or content (then the whole source).
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
  if (text === 'envelope' || text === 'text' || text === 'full') {
    return {
      level: options.attachmentContentMaxBytes !== undefined ? 'full' : text,
      projection: null,
      headers,
      ...base,
    };
  }
  const projection = compileProjection(text, timeoutMs);
  const level =
    SOURCE_FIELDS.test(text) || options.attachmentContentMaxBytes !== undefined
      ? 'full'
      : TEXT_FIELDS.test(text)
        ? 'text'
        : 'envelope';
  return { level, projection, headers, ...base };
}
