import { loadConfig } from '../config/load-config.js';
import { CONNECTION_FLAGS, flagsToValues } from './connection-flags.js';
import type { CliIo } from './io.js';

export type ConnectionFlagValues = {
  [K in keyof typeof CONNECTION_FLAGS]?: (typeof CONNECTION_FLAGS)[K]['type'] extends 'boolean'
    ? boolean
    : string;
};

/** --config file + flags + secrets from the environment -> raw config (validated by the operation). */
export function connectionFromFlags(
  values: ConnectionFlagValues,
  io: CliIo,
): Record<string, unknown> {
  return loadConfig({
    ...(values.config ? { file: values.config } : {}),
    values: flagsToValues(values),
    env: io.env,
  });
}
