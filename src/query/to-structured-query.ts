import { makeError } from '../errors.js';
import { formatIssues, validateQuerySchema } from '../validators.js';
import { parseQuery } from './parse.js';
import { parseQueryDate } from './parse-value.js';
import type { Criterion, StructuredQuery } from './structured-query.js';

function checkDates(criterion: Criterion, problems: string[]): void {
  if ('date' in criterion && parseQueryDate(criterion.date) === undefined) problems.push(`${criterion.key} date ${criterion.date} is not a real day`);
  if (criterion.key === 'NOT') checkDates(criterion.operand, problems);
  if (criterion.key === 'OR') [criterion.left, criterion.right].forEach((c) => checkDates(c, problems));
  if (criterion.key === 'AND') criterion.operands.forEach((c) => checkDates(c, problems));
}

/**
 * Query text or a host's structured query (validated against schemas/query.schema.json) ->
 * structured query with defaults.
 * @throws QUERY_INVALID naming the line and column, or the JSON path, of every problem.
 */
export function toStructuredQuery(input: string | object): StructuredQuery {
  if (typeof input === 'string') return parseQuery(input);
  const copy = structuredClone(input) as StructuredQuery;
  if (!validateQuerySchema(copy)) {
    const issues = formatIssues(validateQuerySchema.errors);
    throw makeError('QUERY_INVALID', `Invalid structured query: ${issues.map((i) => `${i.field || '/'} ${i.message}`).join('; ')}`, { field: issues[0]?.field ?? '/', details: { issues } });
  }
  const problems: string[] = [];
  copy.criteria.forEach((c) => checkDates(c, problems));
  if (problems.length > 0) throw makeError('QUERY_INVALID', `Invalid structured query: ${problems.join('; ')}`, { field: '/criteria' });
  return copy;
}
