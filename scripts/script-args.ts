/**
 * The command line of the development scripts (chaos, soak, the benches): `--help` prints the
 * script's usage, and a mistyped option or a count that is not one ends in one line naming it
 * and exit 2, before any server is started, rather than a stack trace or a run of NaN messages.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<T extends Options> = ReturnType<typeof parseArgs<{ options: T }>>['values'];

export interface ScriptArgs<T extends Options> {
  values: Values<T>;
  /** A count option (`--trials 50`): a whole number, at least `least`, or `fallback` when absent. */
  count(name: keyof T & string, fallback: number, least?: number): number;
  /** A list of counts (`--parallel 1,2,4`), or `fallback` when absent. */
  counts(name: keyof T & string, fallback: readonly number[]): number[];
}

function usageError(usage: string, message: string): never {
  process.stderr.write(`${message}\nusage: ${usage}\n`);
  process.exit(2);
}

export function scriptArgs<const T extends Options>(usage: string, options: T): ScriptArgs<T> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: ${usage}\n`);
    process.exit(0);
  }
  let values: Values<T>;
  try {
    values = parseArgs({ args, options, strict: true }).values;
  } catch (error) {
    usageError(usage, (error as Error).message);
  }
  const raw = values as Record<string, unknown>;
  const whole = (name: string, text: string, least = 1): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < least)
      usageError(usage, `--${name} must be a whole number of at least ${least}, not "${text}"`);
    return value;
  };
  return {
    values,
    count(name: keyof T & string, fallback: number, least = 1): number {
      const text = raw[name];
      return typeof text === 'string' ? whole(name, text, least) : fallback;
    },
    counts(name: keyof T & string, fallback: readonly number[]): number[] {
      const text = raw[name];
      return typeof text === 'string'
        ? text.split(',').map((part) => whole(name, part))
        : [...fallback];
    },
  };
}
