/**
 * A console import's definition: what the New import form sends, as saved in import.json
 * (names of saved connections, never a secret), and its checks before anything is saved.
 */
import { ConfigError, type Issue } from '../errors.js';
import { parseQuery } from '../query/parse.js';

/** What the New import form saves: where from, where to, which messages. */
export interface ImportDefinition {
  name: string;
  /** A saved connection's name. */
  source: string;
  /** `archive` (the import's own, `mail.archive` in its folder) or a saved connection's name. */
  destination: { archive: true } | { connection: string };
  /** An IMAP search query (the query language); every message when absent. */
  query?: string;
}

function text(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The New import form's body as a definition; the destination `archive` or a connection. */
export function definitionOf(body: Record<string, unknown>): ImportDefinition {
  const destination = text(body, 'destination');
  if (!destination)
    throw new ConfigError([
      { field: '/destination', message: 'choose the archive or a saved connection' },
    ]);
  const query = text(body, 'query');
  return {
    name: text(body, 'name') ?? '',
    source: text(body, 'source') ?? '',
    destination: destination === 'archive' ? { archive: true } : { connection: destination },
    ...(query ? { query } : {}),
  };
}

/**
 * Refuses what can be known wrong without a server: a connection that is not a saved one, the
 * source as its own destination, a query's syntax (QUERY_INVALID with line and column).
 */
export function checkDefinition(
  definition: ImportDefinition,
  isSaved: (connection: string) => boolean,
): void {
  const saved = (field: string, name: string): Issue[] =>
    name && isSaved(name) ? [] : [{ field, message: 'choose a saved connection' }];
  const target = 'connection' in definition.destination ? definition.destination.connection : '';
  const issues = [
    ...saved('/source', definition.source),
    ...(target ? saved('/destination', target) : []),
  ];
  if (target && target === definition.source)
    issues.push({ field: '/destination', message: 'the destination is the source connection' });
  if (issues.length > 0) throw new ConfigError(issues);
  if (definition.query !== undefined) parseQuery(definition.query);
}
