import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import type { SelectOptions } from '../rows/select.js';
import { usageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export const QUERY_FLAGS = {
  query: { type: 'string', short: 'q' },
  'query-file': { type: 'string' },
  select: { type: 'string' },
  headers: { type: 'string' },
  raw: { type: 'boolean' },
} as const satisfies Options;

export const QUERY_FLAGS_HELP = `Query:
  -q, --query TEXT         IMAP SEARCH criteria, e.g. 'FROM "a@example.com" SINCE 2024-01-01 FOLDER INBOX'
      --query-file FILE    read the query from FILE (default: the config's query field)
      --select WHAT        envelope (default: no body is downloaded), text (text and html
                           parts only, no attachment byte), full (the whole source: text,
                           html, attachment sha256), or a JSONata expression over the row
      --headers A,B        extra header fields to put in row.headers
      --raw                put the exact source in row.raw (base64), for write or import elsewhere`;

/** The query text from --query, --query-file or neither (then the config's query). */
export function queryFromFlags(flags: {
  query?: string | undefined;
  'query-file'?: string | undefined;
}): string | undefined {
  if (flags.query !== undefined && flags['query-file'] !== undefined) {
    throw usageError('/query', 'give either --query or --query-file, not both');
  }
  if (flags['query-file'] === undefined) return flags.query;
  try {
    return readFileSync(flags['query-file'], 'utf8');
  } catch (error) {
    throw usageError(
      '/query',
      `--query-file ${JSON.stringify(flags['query-file'])} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
}

export function selectFromFlags(flags: {
  select?: string | undefined;
  headers?: string | undefined;
  raw?: boolean | undefined;
}): SelectOptions {
  const options: SelectOptions = {};
  if (flags.raw) options.raw = true;
  if (flags.select !== undefined) options.select = flags.select;
  if (flags.headers)
    options.headers = flags.headers
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
  return options;
}
