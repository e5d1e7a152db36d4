import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../did-you-mean.js';
import { usageError } from './usage-error.js';

/**
 * parseArgs (strict), with an unknown flag reported as USAGE_INVALID that suggests the flag a
 * typo meant (--stat -> --state).
 * @throws USAGE_INVALID for an unknown flag; parseArgs' own errors otherwise.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw error;
    const flag = /'(-{1,2}[^']+)'/.exec((error as Error).message)?.[1] ?? '';
    const known = Object.keys(config.options ?? {}).map((name) => `--${name}`);
    // Secrets never come from flags (they would show in ps and shell history).
    const secret = /^--(password|.*token|.*secret)$/.test(flag)
      ? `: secrets come from the environment (IMAP_PASSWORD, ...) or a file (--password-file)`
      : '';
    throw usageError('/', `unknown option ${flag}${secret || didYouMean(flag, known)}`);
  }
}
