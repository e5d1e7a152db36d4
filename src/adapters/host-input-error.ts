import type { ErrorObject } from 'ajv/dist/2020.js';
import { ConfigError } from '../errors.js';
import { formatIssues } from '../validators.js';

/** A host's input file (catalog, state) that its schema refuses: USAGE_INVALID naming the field. */
export function hostInputError(
  what: string,
  errors: ErrorObject[] | null | undefined,
): ConfigError {
  return new ConfigError(
    formatIssues(errors).map((issue) => ({
      field: issue.field,
      message: `${what}: ${issue.message}`,
    })),
    'USAGE_INVALID',
  );
}
