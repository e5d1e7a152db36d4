import rowSchema from '../../schemas/row.schema.json' with { type: 'json' };
import type { OperationOptions } from '../operation-options.js';
import { unmatchedWarning } from '../query/plan.js';
import { inferSchema } from '../rows/infer-schema.js';
import type { Projection } from '../rows/projection.js';
import type { SelectOptions } from '../rows/select.js';
import { didYouMean } from '../did-you-mean.js';
import { startState } from './cursor.js';
import { readPage } from './read-page.js';
import { prepare, withReadContext } from './read-context.js';

// Enough rows to see optional fields and nulls, few enough to stay quick.
export const DISCOVER_SAMPLE_SIZE = 50;

export interface DiscoverOptions extends OperationOptions, SelectOptions {}

/**
 * One stream per folder, in the shape stream-based hosts (Airbyte, Singer) know: rows of a
 * folder are keyed by `id` and read incrementally by UID, which read()'s cursor tracks per folder.
 */
export interface Stream {
  /** The stream's name: the folder path. Pass names to read({ streams }). */
  name: string;
  folder: string;
  jsonSchema: Record<string, unknown>;
  primaryKey: [['id']];
  cursorField: ['uid'];
  supportedSyncModes: ['full_refresh', 'incremental'];
}

export interface DiscoverResult {
  /** The JSON Schema (2020-12) of one row, the same for every stream. */
  schema: Record<string, unknown>;
  streams: Stream[];
  warnings: string[];
}

const ROW_FIELDS = Object.keys(rowSchema.properties);

/** Warnings for a select that reads fields rows lack, or builds keys no sampled row had. */
function projectionWarnings(projection: Projection, rows: unknown[], messages: number): string[] {
  const { keys, fields } = projection.outline();
  const warnings = [...new Set(fields)]
    .filter((field) => !ROW_FIELDS.includes(field))
    .map(
      (field) =>
        `select reads ${JSON.stringify(field)}, which rows do not have${didYouMean(field, ROW_FIELDS)}`,
    );
  if (messages > 0 && rows.length === 0)
    warnings.push(`select gave nothing for any of the ${messages} sampled messages`);
  const objects = rows.filter((row): row is object => typeof row === 'object' && row !== null);
  for (const key of keys)
    if (objects.length > 0 && objects.every((row) => !(key in row)))
      warnings.push(
        `select field ${JSON.stringify(key)} was empty in all ${objects.length} sampled rows`,
      );
  return warnings;
}

/**
 * Schema import: the streams of a query (one per folder it reads) and the JSON Schema of its
 * rows. Without a JSONata select that is schemas/row.schema.json; with one, the schema is
 * inferred from up to 50 projected rows, typed and with required fields, and a select that
 * reads unknown fields or yields nothing is warned about rather than giving an empty schema.
 * @throws CONFIG_INVALID, QUERY_INVALID before any I/O; FOLDER_NOT_FOUND and session errors.
 */
export async function discover(
  connection: unknown,
  query?: string | object,
  options: DiscoverOptions = {},
): Promise<DiscoverResult> {
  const prepared = prepare(connection, query, options);
  const projection = prepared.plan.select.projection;
  return withReadContext(prepared, options, async (ctx) => {
    const warnings = ctx.unmatched.map(unmatchedWarning);
    let schema: Record<string, unknown> = rowSchema;
    if (projection) {
      const page = await readPage(ctx, startState(undefined, ctx.plan, DISCOVER_SAMPLE_SIZE), {
        pageSize: DISCOVER_SAMPLE_SIZE,
      });
      warnings.push(...projectionWarnings(projection, page.rows, page.messages));
      schema = {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        title: 'Projected message row',
        description: `Rows of select ${JSON.stringify(projection.source)}, inferred from ${page.rows.length} sampled rows.`,
        ...inferSchema(page.rows),
      };
    }
    const streams = ctx.folders.map(
      (folder): Stream => ({
        name: folder.path,
        folder: folder.path,
        jsonSchema: schema,
        primaryKey: [['id']],
        cursorField: ['uid'],
        supportedSyncModes: ['full_refresh', 'incremental'],
      }),
    );
    return { schema, streams, warnings };
  });
}
