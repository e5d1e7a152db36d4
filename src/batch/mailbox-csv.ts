/**
 * The mailbox list of a batch from a CSV file, as the products it replaces write them:
 * - a header row with loosely named columns ("IMAP user name", "imap_username", "E-mail
 *   address", "Mailbox password", "Owner", ...);
 * - without a header: a hosting panel's `IMAP server;IMAP username;IMAP password;Mailbox;Password`
 *   (five columns), `email,password` (two), or `email:password` lines.
 * Separators ; , | and tab are detected, fields may be quoted with " or ', UTF-8 with or
 * without BOM, blank lines and lines starting with # are skipped. Parsing is csv-parse's; this
 * module only decides the layout and checks each row. A problem names its line and column and
 * never repeats a password.
 */
import type * as CsvParse from 'csv-parse/sync';
import { parseServer } from '../config/parse-server.js';
import { ConfigError, type Issue } from '../errors.js';
import { loadOnFirstUse } from '../load-on-first-use.js';
import { headerColumns, SECRET_COLUMNS, type Column } from './csv-header.js';
import { entryKey, type MailboxEntry } from './mailbox-entry.js';

const HOSTING_PANEL: Column[] = [
  'sourceServer',
  'sourceUser',
  'sourcePassword',
  'destinationMailbox',
  'destinationPassword',
];
const EMAIL_PASSWORD: Column[] = ['sourceUser', 'sourcePassword'];

const DELIMITERS = [';', ',', '|', '\t'] as const;

function dataLines(text: string): { line: string; number: number }[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '' && !line.trimStart().startsWith('#'));
}

/** How often `char` separates fields of `line`, quoted stretches not counted. */
function countOutsideQuotes(line: string, char: string): number {
  let count = 0;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if ((c === '"' || c === "'") && (i === 0 || DELIMITERS.some((d) => line[i - 1] === d)))
      quote = c;
    else if (c === char) count++;
  }
  return count;
}

/** The separator of the file, judged on its first data line; ':' for email:password lines. */
function detectDelimiter(first: string): string | undefined {
  const best = (count: (d: string) => number) =>
    DELIMITERS.map((d) => ({ d, n: count(d) })).sort((a, b) => b.n - a.n)[0]!;
  const outside = best((d) => countOutsideQuotes(first, d));
  if (outside.n > 0) return outside.d;
  // A quote left open hides every separator: judge on the raw line, so the parser can say so.
  const raw = best((d) => first.split(d).length - 1);
  if (raw.n > 0) return raw.d;
  return first.includes(':') ? ':' : undefined;
}

/** The quote character: ' when fields start with it and none with ". */
function detectQuote(text: string, delimiter: string): string {
  const starts = (q: string): boolean =>
    new RegExp(`(^|[${delimiter === '\t' ? '\\t' : `\\${delimiter}`}])\\s*${q}`, 'm').test(text);
  return starts("'") && !starts('"') ? "'" : '"';
}

interface Row {
  cells: string[];
  line: number;
}

// The runtime entry exports checkMailboxCsv: csv-parse cost every start some 40 ms.
const loadCsvParse = loadOnFirstUse<typeof CsvParse>('csv-parse/sync');

function parseRows(text: string, delimiter: string): Row[] {
  const quote = detectQuote(text, delimiter);
  const records = loadCsvParse().parse(text, {
    delimiter,
    quote,
    // The quote doubled inside a quoted field is the quote itself, for ' as for ".
    escape: quote,
    bom: true,
    comment: '#',
    comment_no_infix: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    trim: true,
    relax_column_count: true,
    info: true,
  }) as unknown as { record: string[]; info: { lines: number } }[];
  return records.map(({ record, info }) => ({ cells: record, line: info.lines }));
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/** One row -> an entry, or issues naming line and column (never the value of a password). */
function toEntry(row: Row, columns: Column[], issues: Issue[]): MailboxEntry | undefined {
  const values: Partial<Record<Column, string>> = {};
  const before = issues.length;
  const problem = (index: number, message: string): void => {
    issues.push({
      field: '/mailboxes/csv',
      position: { line: row.line, column: index + 1 },
      message: `line ${row.line}, column ${index + 1}: ${message}`,
    });
  };
  if (row.cells.length !== columns.length) {
    problem(
      Math.min(row.cells.length, columns.length),
      `${row.cells.length} fields, but the file has ${columns.length} columns`,
    );
    return undefined;
  }
  columns.forEach((column, index) => {
    const value = row.cells[index]!;
    if (value === '') return;
    const secret = SECRET_COLUMNS.includes(column);
    if (CONTROL.test(value)) problem(index, `${column} holds a control character`);
    else if (!secret && value.length > 512)
      problem(index, `${column} is longer than 512 characters`);
    else values[column] = value;
    if (column === 'sourceServer' && !CONTROL.test(value)) {
      const serverIssues: Issue[] = [];
      parseServer(value, serverIssues);
      if (serverIssues.length > 0)
        problem(
          index,
          `IMAP server ${JSON.stringify(value.slice(0, 80))} is not a host name or imap:// URL`,
        );
    }
  });
  if (!values.sourceUser) problem(columns.indexOf('sourceUser'), 'the user name is empty');
  const token = values.sourceToken ?? values.sourceRefreshToken;
  if (columns.includes('sourcePassword') && !values.sourcePassword && !token)
    problem(columns.indexOf('sourcePassword'), 'the password is empty');
  const tokenColumn = columns.findIndex((c) => c === 'sourceToken' || c === 'sourceRefreshToken');
  if (!columns.includes('sourcePassword') && tokenColumn >= 0 && !token)
    problem(tokenColumn, 'the token is empty');
  if (issues.length > before) return undefined;
  const entry = {
    sourceUser: values.sourceUser!,
    ...(values.sourceServer ? { sourceServer: values.sourceServer } : {}),
    ...(values.sourcePassword ? { sourcePassword: values.sourcePassword } : {}),
    ...(values.sourceToken ? { sourceToken: values.sourceToken } : {}),
    ...(values.sourceRefreshToken ? { sourceRefreshToken: values.sourceRefreshToken } : {}),
    ...(values.destinationMailbox ? { destinationMailbox: values.destinationMailbox } : {}),
    ...(values.destinationPassword ? { destinationPassword: values.destinationPassword } : {}),
    ...(values.owner ? { owner: values.owner } : {}),
    ...(values.archiveUser ? { archiveUser: values.archiveUser } : {}),
  };
  return { ...entry, line: row.line, key: entryKey(entry) };
}

/** The layout of a file without a header row, by its number of columns. */
function headerlessColumns(row: Row, delimiter: string, issues: Issue[]): Column[] | undefined {
  if (delimiter === ':' || row.cells.length === 2) return EMAIL_PASSWORD;
  if (row.cells.length === 5) return HOSTING_PANEL;
  issues.push({
    field: '/mailboxes/csv',
    position: { line: row.line, column: 1 },
    message: `line ${row.line}: ${row.cells.length} fields and no header row; without a header the layouts are "IMAP server;IMAP username;IMAP password;Mailbox;Password", "email,password" and "email:password"`,
  });
  return undefined;
}

/**
 * A CSV mailbox list -> entries, all problems at once.
 * @throws CONFIG_INVALID listing every problem with its line and column.
 */
export function parseMailboxCsv(text: string): MailboxEntry[] {
  const issues: Issue[] = [];
  const fail = (): never => {
    throw new ConfigError(issues);
  };
  const lines = dataLines(text);
  if (lines.length === 0) {
    issues.push({ field: '/mailboxes/csv', message: 'the mailbox list holds no mailbox' });
    fail();
  }
  const delimiter = detectDelimiter(lines[0]!.line);
  if (!delimiter) {
    issues.push({
      field: '/mailboxes/csv',
      position: { line: lines[0]!.number, column: 1 },
      message: `line ${lines[0]!.number}: no separator (; , | tab or email:password) found`,
    });
    fail();
  }
  let rows: Row[];
  try {
    rows = parseRows(text, delimiter!);
  } catch (error) {
    const e = error as { lines?: number; column?: number; code?: string; message: string };
    issues.push({
      field: '/mailboxes/csv',
      position: { line: e.lines ?? 0, column: (e.column ?? 0) + 1 },
      message: `line ${e.lines ?? '?'}: ${e.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted field is not closed' : 'not valid CSV'}`,
    });
    return fail();
  }
  if (delimiter === ':')
    // A password may hold ':'; an email address never does: everything after the first is the password.
    rows = rows.map((row) => ({ ...row, cells: [row.cells[0]!, row.cells.slice(1).join(':')] }));
  const header = headerColumns(rows[0]!.cells, issues, rows[0]!.line);
  const columns = header ?? headerlessColumns(rows[0]!, delimiter!, issues);
  if (!columns) return fail();
  if (header && !header.includes('sourceUser'))
    issues.push({
      field: '/mailboxes/csv',
      position: { line: rows[0]!.line, column: 1 },
      message: `line ${rows[0]!.line}: the header names no user column (IMAP username, User, E-mail address)`,
    });
  const entries: MailboxEntry[] = [];
  const seen = new Map<string, number>();
  for (const row of header ? rows.slice(1) : rows) {
    const entry = toEntry(row, columns, issues);
    if (!entry) continue;
    const earlier = seen.get(entry.key);
    if (earlier !== undefined) {
      issues.push({
        field: '/mailboxes/csv',
        position: { line: row.line, column: 1 },
        message: `line ${row.line}: the same mailbox as line ${earlier}`,
      });
      continue;
    }
    seen.set(entry.key, row.line);
    entries.push(entry);
  }
  if (issues.length === 0 && entries.length === 0)
    issues.push({ field: '/mailboxes/csv', message: 'the mailbox list holds no mailbox' });
  if (issues.length > 0) fail();
  return entries;
}
