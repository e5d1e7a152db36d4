import { inferSchema } from '../rows/infer-schema.js';
import rowSchema from '../../schemas/row.schema.json' with { type: 'json' };
import type { OperationOptions } from '../operation-options.js';
import type { SelectOptions } from '../rows/select.js';
import { startState } from './cursor.js';
import { readPage } from './read-page.js';
import { prepare, withReadContext } from './read-context.js';

// Enough rows to see optional fields and nulls, few enough to stay quick.
export const DISCOVER_SAMPLE_SIZE = 50;

export interface DiscoverOptions extends OperationOptions, SelectOptions {}

/**
 * Schema import: the JSON Schema of the rows a query produces. Without a JSONata select it is
 * schemas/row.schema.json (no server needed beyond validation); with one, the schema is
 * inferred from up to 50 projected rows of the query, typed and with required fields.
 * @throws CONFIG_INVALID, QUERY_INVALID, and session errors when sampling.
 */
export async function discover(
  connection: unknown,
  query?: string | object,
  options: DiscoverOptions = {},
): Promise<Record<string, unknown>> {
  const prepared = prepare(connection, query, options);
  if (!prepared.plan.select.projection) return rowSchema;
  const rows = await withReadContext(prepared, options, async (ctx) => {
    const page = await readPage(ctx, startState(undefined, ctx.plan, DISCOVER_SAMPLE_SIZE), {
      pageSize: DISCOVER_SAMPLE_SIZE,
    });
    return page.rows;
  });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Projected message row',
    description: `Rows of select ${JSON.stringify(prepared.plan.select.projection.source)}, inferred from ${rows.length} sampled rows.`,
    ...inferSchema(rows),
  };
}
