import { ConfigError, type Issue } from '../errors.js';

/** A command line that cannot run (a flag's value, a missing flag, a state file): USAGE_INVALID. */
export function usageError(field: string, message: string): ConfigError {
  return new ConfigError([{ field, message }], 'USAGE_INVALID');
}

/** Several command-line problems at once. */
export function usageErrors(issues: Issue[]): ConfigError {
  return new ConfigError(issues, 'USAGE_INVALID');
}
