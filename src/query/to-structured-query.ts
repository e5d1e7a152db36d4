import { makeError } from '../errors.js';
import { depthIssue, formatIssues, tooDeepAt, validateQuerySchema } from '../validators.js';
import { parseQuery } from './parse.js';
import type { StructuredQuery } from './structured-query.js';

/**
 * Query text, or a host's structured query validated against schemas/query.schema.json
 * (ajv-formats' "date" also refuses days that do not exist) -> structured query with defaults.
 * @throws QUERY_INVALID naming the line and column, or the JSON path, of every problem.
 */
export function toStructuredQuery(input: string | object): StructuredQuery {
  if (typeof input === 'string') return parseQuery(input);
  const deep = tooDeepAt(input);
  if (deep !== undefined) {
    const issue = depthIssue(deep);
    throw makeError('QUERY_INVALID', `Invalid structured query: ${issue.message}`, {
      field: issue.field,
      details: { issues: [issue] },
    });
  }
  const copy = structuredClone(input) as StructuredQuery;
  if (!validateQuerySchema(copy)) {
    const issues = formatIssues(validateQuerySchema.errors);
    throw makeError(
      'QUERY_INVALID',
      `Invalid structured query: ${issues.map((i) => i.message).join('; ')}`,
      { field: issues[0]?.field ?? '/', details: { issues } },
    );
  }
  return copy;
}
