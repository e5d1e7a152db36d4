import { lex, queryError, type Token } from './lex.js';
import { isHeaderName, isKeyword, isSequenceSet, parseQueryDate } from './parse-value.js';
import {
  DATE_KEYS,
  FLAG_KEYS,
  KEYWORD_KEYS,
  SIZE_KEYS,
  STRING_KEYS,
  type Criterion,
  type DateKey,
  type FlagKey,
  type KeywordKey,
  type SizeKey,
  type StringKey,
  type StructuredQuery,
} from './structured-query.js';

const MAX_SIZE_BYTES = 2 ** 53 - 1;
// Nesting deeper than this is no query a person wrote; refuse it before recursion can blow up.
const MAX_DEPTH = 100;

function describe(token: Token | undefined): string {
  if (!token) return 'the end of the query';
  if (token.kind === 'open' || token.kind === 'close') return `"${token.value}"`;
  return JSON.stringify(token.value);
}

/**
 * Recursive-descent parser over the RFC 3501 section 6.4.4 search grammar plus the connector
 * keywords (FOLDER / IN, EXCLUDE, LIMIT at the top level; X-GM-RAW anywhere).
 */
class Parser {
  private index = 0;
  private depth = 0;
  private endToken: { line: number; column: number };

  constructor(
    private readonly tokens: Token[],
    text: string,
  ) {
    const lines = text.split('\n');
    this.endToken = { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
  }

  peek(): Token | undefined {
    return this.tokens[this.index];
  }

  fail(token: Token | undefined, message: string): never {
    const at = token ?? this.endToken;
    throw queryError(at.line, at.column, message);
  }

  /** A word or quoted string after `key`; `what` names it in the error. */
  value(key: string, what: string): Token {
    const token = this.tokens[this.index];
    if (!token || (token.kind !== 'word' && token.kind !== 'string'))
      this.fail(token, `expected ${what} after ${key}, got ${describe(token)}`);
    this.index++;
    return token;
  }

  text(key: string): string {
    const token = this.value(key, 'a string');
    if (token.value === '')
      this.fail(
        token,
        `expected a non-empty string after ${key}; an empty one would match every message`,
      );
    return token.value;
  }

  date(key: string): string {
    const token = this.value(key, 'a date');
    const day = parseQueryDate(token.value);
    if (!day)
      this.fail(
        token,
        `expected a date after ${key}, got ${describe(token)} (write 1-Jan-2024 or 2024-01-01)`,
      );
    return day;
  }

  size(key: string): number {
    const token = this.value(key, 'a size in bytes');
    const size = Number(token.value);
    if (!/^\d+$/.test(token.value) || size < 1 || size > MAX_SIZE_BYTES)
      this.fail(token, `expected a size of at least 1 byte after ${key}, got ${describe(token)}`);
    return size;
  }

  /** One search-key, including NOT, OR and parenthesised groups. */
  criterion(): Criterion {
    const token = this.tokens[this.index];
    if (!token) this.fail(token, 'expected a search key, got the end of the query');
    if (token.kind === 'close')
      this.fail(token, 'expected a search key, got ")" without a matching "("');
    if (token.kind === 'open') return this.group(token);
    if (token.kind === 'string')
      this.fail(
        token,
        `expected a search key, got the string ${describe(token)}; put a key such as TEXT before it`,
      );
    this.index++;
    return this.keyword(token);
  }

  group(open: Token): Criterion {
    this.index++;
    if (++this.depth > MAX_DEPTH)
      this.fail(open, `parentheses nest deeper than ${MAX_DEPTH} levels`);
    const operands: Criterion[] = [];
    while (this.peek()?.kind !== 'close') {
      if (!this.peek())
        this.fail(
          undefined,
          `expected ")" to close the "(" at line ${open.line}, column ${open.column}`,
        );
      operands.push(this.criterion());
    }
    if (operands.length === 0) this.fail(this.peek(), 'expected a search key inside "( )"');
    this.index++;
    this.depth--;
    return operands.length === 1 ? operands[0]! : { key: 'AND', operands };
  }

  nested(key: string, token: Token): Criterion {
    if (++this.depth > MAX_DEPTH) this.fail(token, `${key} nests deeper than ${MAX_DEPTH} levels`);
    const operand = this.criterion();
    this.depth--;
    return operand;
  }

  keyword(token: Token): Criterion {
    const key = token.value.toUpperCase();
    if ((FLAG_KEYS as readonly string[]).includes(key)) return { key: key as FlagKey };
    if ((STRING_KEYS as readonly string[]).includes(key))
      return { key: key as StringKey, value: this.text(key) };
    if ((DATE_KEYS as readonly string[]).includes(key))
      return { key: key as DateKey, date: this.date(key) };
    if ((SIZE_KEYS as readonly string[]).includes(key))
      return { key: key as SizeKey, size: this.size(key) };
    if ((KEYWORD_KEYS as readonly string[]).includes(key)) {
      const flag = this.value(key, 'a keyword');
      if (!isKeyword(flag.value))
        this.fail(
          flag,
          `expected a keyword (an atom such as $Important) after ${key}, got ${describe(flag)}`,
        );
      return { key: key as KeywordKey, keyword: flag.value };
    }
    switch (key) {
      case 'HEADER': {
        const field = this.value(key, 'a header field name');
        if (!isHeaderName(field.value))
          this.fail(field, `expected a header field name after HEADER, got ${describe(field)}`);
        // An empty value is legal here: RFC 3501 says it matches every message with that field.
        return {
          key: 'HEADER',
          field: field.value,
          value: this.value(`HEADER ${field.value}`, 'a string').value,
        };
      }
      case 'UID': {
        const set = this.value(key, 'a UID set');
        if (!isSequenceSet(set.value))
          this.fail(set, `expected a UID set such as 1:100,205 after UID, got ${describe(set)}`);
        return { key: 'UID', set: set.value };
      }
      case 'X-GM-RAW':
        return { key: 'X-GM-RAW', value: this.text(key) };
      case 'NOT':
        return { key: 'NOT', operand: this.nested('NOT', token) };
      case 'OR': {
        const left = this.nested('OR', token);
        return { key: 'OR', left, right: this.nested('OR', token) };
      }
      case 'FOLDER':
      case 'IN':
      case 'EXCLUDE':
      case 'LIMIT':
        this.fail(
          token,
          `${key} applies to the whole query and cannot stand inside NOT, OR or parentheses`,
        );
    }
    if (isSequenceSet(token.value)) return { key: 'SEQ', set: token.value };
    return this.fail(
      token,
      `expected a search key such as FROM, SINCE or UNSEEN, got ${describe(token)}`,
    );
  }

  /** Top level: search keys and connector keywords in any order. */
  query(): StructuredQuery {
    const result: StructuredQuery = {
      criteria: [],
      folders: { include: [], exclude: [] },
      limit: null,
    };
    while (this.peek()) {
      const token = this.peek()!;
      const key = token.kind === 'word' ? token.value.toUpperCase() : '';
      if (key === 'FOLDER' || key === 'IN' || key === 'EXCLUDE') {
        this.index++;
        const pattern = this.value(key, 'a folder name or pattern');
        if (pattern.value === '')
          this.fail(pattern, `expected a folder name or pattern after ${key}, got ""`);
        result.folders[key === 'EXCLUDE' ? 'exclude' : 'include'].push(pattern.value);
      } else if (key === 'LIMIT') {
        this.index++;
        const limit = this.value(key, 'a number');
        if (!/^\d+$/.test(limit.value) || Number(limit.value) < 1)
          this.fail(limit, `expected a number of at least 1 after LIMIT, got ${describe(limit)}`);
        if (result.limit !== null) this.fail(token, 'LIMIT is given twice');
        result.limit = Number(limit.value);
      } else {
        result.criteria.push(this.criterion());
      }
    }
    return result;
  }
}

/**
 * Query text -> structured query. Keys are case-insensitive, line breaks are spaces.
 * @throws QUERY_INVALID with `position` {line, column} and a message saying what was expected.
 */
export function parseQuery(text: string): StructuredQuery {
  const query = new Parser(lex(text), text).query();
  if (query.criteria.length === 0) {
    throw queryError(1, 1, 'the query has no search key; write ALL to read every message');
  }
  return query;
}
