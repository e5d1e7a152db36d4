import { parseConfigDate } from '../config/parse-date.js';
import { makeError, type Issue } from '../errors.js';
import { depthIssue, formatIssues, tooDeepAt, validateQuerySchema } from '../validators.js';
import { parseQuery } from './parse.js';
import type { StructuredQuery } from './structured-query.js';

/**
 * Query text, or a host's structured query validated against schemas/query.schema.json
 * (and every date checked against the calendar) -> structured query with defaults.
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
  const valid = validateQuerySchema(copy);
  const issues = valid ? impossibleDates(copy, '') : formatIssues(validateQuerySchema.errors);
  if (issues.length > 0) {
    throw makeError(
      'QUERY_INVALID',
      `Invalid structured query: ${issues.map((i) => i.message).join('; ')}`,
      { field: issues[0]?.field ?? '/', details: { issues } },
    );
  }
  return copy;
}

/** Every `date` in the query naming a day the calendar lacks (2024-02-30): the schema checks only the shape. */
function impossibleDates(node: unknown, pointer: string): Issue[] {
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const at = `${pointer}/${key}`;
    if (key === 'date' && typeof value === 'string' && parseConfigDate(value) === undefined)
      return [
        {
          field: at,
          message: `${at.slice(1)} ${JSON.stringify(value)} is not a day of the calendar`,
        },
      ];
    return impossibleDates(value, at);
  });
}
