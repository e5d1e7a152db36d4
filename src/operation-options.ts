/** What a host passes to every operation besides the connection config. */
export interface OperationOptions {
  /** Cancels the operation; the session is closed and the call rejects with ABORTED. */
  signal?: AbortSignal;
  /** Receives diagnostics, already redacted. Defaults to silence. */
  logger?: Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured logger, pino-shaped: each method takes one JSON-safe object with a `msg`. */
export type Logger = Record<LogLevel, (entry: Record<string, unknown>) => void>;

const noop = (): void => undefined;

export const SILENT_LOGGER: Logger = { debug: noop, info: noop, warn: noop, error: noop };
