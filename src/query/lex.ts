import { makeError, type ConnectorError } from '../errors.js';

/** A token of query text with where it starts (1-based line and column). */
export interface Token {
  kind: 'word' | 'string' | 'open' | 'close';
  value: string;
  line: number;
  column: number;
}

/** The QUERY_INVALID error for a position in the query text. */
export function queryError(line: number, column: number, message: string): ConnectorError {
  return makeError('QUERY_INVALID', `line ${line}, column ${column}: ${message}`, {
    position: { line, column },
    field: '/query',
  });
}

// Inside a quoted string only \" and \\ are escapes (RFC 3501 section 4.3, quoted-specials).
function readQuoted(
  text: string,
  start: number,
  line: number,
  column: number,
): { value: string; end: number } {
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') return { value, end: i + 1 };
    if (ch === '\n' || ch === '\r')
      throw queryError(line, column, 'a quoted string must end on the line it starts');
    if (ch === '\\') {
      const next = text[i + 1];
      if (next !== '"' && next !== '\\')
        throw queryError(
          line,
          column + (i - start),
          `only \\" and \\\\ may follow a backslash in a quoted string, got ${JSON.stringify('\\' + (next ?? ''))}`,
        );
      value += next;
      i++;
      continue;
    }
    value += ch;
  }
  throw queryError(line, column, 'a quoted string is not closed with "');
}

/**
 * Splits query text into words, quoted strings and parentheses. Line breaks count as spaces
 * (a query box is multi-line), and every token keeps its line and column for error messages.
 * @throws QUERY_INVALID for an unterminated string or a bad escape.
 */
export function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const column = i - lineStart + 1;
    if (ch === '\n') {
      line++;
      lineStart = i + 1;
      i++;
    } else if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ kind: ch === '(' ? 'open' : 'close', value: ch, line, column });
      i++;
    } else if (ch === '"') {
      const quoted = readQuoted(text, i, line, column);
      tokens.push({ kind: 'string', value: quoted.value, line, column });
      i = quoted.end;
    } else {
      let end = i;
      while (end < text.length && !/[\s()"]/.test(text[end]!)) end++;
      tokens.push({ kind: 'word', value: text.slice(i, end), line, column });
      i = end;
    }
  }
  return tokens;
}
