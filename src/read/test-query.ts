import { performance } from 'node:perf_hooks';
import { collectSecrets, redactError } from '../config/redact.js';
import { isConnectorError, makeError, type ConnectorErrorJson, type ErrorCode } from '../errors.js';
import { searchArguments, uidSearch } from '../imap/uid-search.js';
import { withMailbox } from '../imap/with-mailbox.js';
import type { OperationOptions } from '../operation-options.js';
import { unmatchedWarning } from '../query/plan.js';
import { renderSearchText } from '../query/render-search.js';
import type { StructuredQuery } from '../query/structured-query.js';
import type { SelectOptions } from '../rows/select.js';
import { startState } from './cursor.js';
import { prepare, withReadContext, type ReadContext } from './read-context.js';
import { readPage } from './read-page.js';

export const DEFAULT_SAMPLE_SIZE = 5;

export interface FolderMatch {
  folder: string;
  /** The command as sent for this folder. */
  search: string;
  matches: number;
  messages: number;
  uidNext: number | null;
  uidValidity: string;
}

/** What the Test Query button shows. */
export interface TestQueryResult {
  ok: boolean;
  code: 'OK' | ErrorCode;
  message: string;
  query?: StructuredQuery;
  folders: FolderMatch[];
  totalMatches: number;
  sample: unknown[];
  warnings: string[];
  elapsedMs: number;
  error?: ConnectorErrorJson;
}

export interface TestQueryOptions extends OperationOptions, SelectOptions {
  /** How many rows to show (default 5). */
  sampleSize?: number;
}

async function countFolder(ctx: ReadContext, path: string): Promise<FolderMatch> {
  return withMailbox(ctx.session, path, true, async () => {
    const mailbox = ctx.session.client.mailbox || undefined;
    const uids = await uidSearch(ctx.session, ctx.plan.attributes);
    return {
      folder: path,
      search: `UID SEARCH ${renderSearchText(searchArguments(ctx.session.client, ctx.plan.attributes))}`,
      matches: uids.length,
      messages: mailbox?.exists ?? 0,
      uidNext: mailbox?.uidNext ?? null,
      uidValidity: mailbox?.uidValidity?.toString() ?? '',
    };
  });
}

/**
 * The Test Query button: per folder the IMAP SEARCH the query became, how many messages
 * match, the folder's MESSAGES / UIDNEXT / UIDVALIDITY, and the first few rows. Read-only
 * (EXAMINE, BODY.PEEK). Never throws for an expected failure: returns ok false with the error.
 */
export async function testQuery(
  connection: unknown,
  query?: string | object,
  options: TestQueryOptions = {},
): Promise<TestQueryResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    const prepared = prepare(connection, query, options);
    return await withReadContext(prepared, options, async (ctx) => {
      const folders: FolderMatch[] = [];
      for (const folder of ctx.folders) folders.push(await countFolder(ctx, folder.path));
      const sampleSize = options.sampleSize ?? DEFAULT_SAMPLE_SIZE;
      const first =
        sampleSize > 0
          ? await readPage(ctx, startState(undefined, ctx.plan, sampleSize), {
              pageSize: sampleSize,
            })
          : undefined;
      const totalMatches = folders.reduce((sum, f) => sum + f.matches, 0);
      const warnings = [...ctx.unmatched.map(unmatchedWarning), ...(first?.warnings ?? [])];
      return {
        ok: true,
        code: 'OK',
        message: `${totalMatches} messages match in ${folders.length} folders.`,
        query: ctx.plan.query,
        folders,
        totalMatches,
        sample: first?.rows ?? [],
        warnings,
        elapsedMs: elapsed(),
      };
    });
  } catch (error) {
    const known = isConnectorError(error)
      ? error
      : makeError('INTERNAL', 'Test query failed unexpectedly.', { cause: error });
    const json = redactError(known, collectSecrets(connection));
    return {
      ok: false,
      code: known.code,
      message: json.message,
      folders: [],
      totalMatches: 0,
      sample: [],
      warnings: [],
      elapsedMs: elapsed(),
      error: json,
    };
  }
}
