/**
 * Going on after a cut connection or a throttled server, inside one run: a fresh session after
 * a pause, from the last durable point (a read's cursor, an import's state), so an unattended
 * run does not wait for the next night. Only faults of the connection qualify; a wrong password
 * or a broken query fails at once.
 */
import type { Config } from '../config/validate-config.js';
import { isConnectorError, makeError, type ConnectorError } from '../errors.js';
import type { Logger } from '../operation-options.js';
import { sleep } from '../sleep.js';
import { Pace } from './pace.js';

// Faults a new session can get past. CONNECT_REFUSED too: a server restarting refuses a while.
const RECONNECTABLE = new Set([
  'CONNECTION_LOST',
  'SOCKET_TIMEOUT',
  'CONNECT_TIMEOUT',
  'CONNECT_REFUSED',
  'SERVER_THROTTLED',
]);

// A server's suggested backoff is honoured up to this; beyond it the run would look hung.
const MAX_SUGGESTED_WAIT_MS = 120_000;

export interface Reconnect {
  /** The run's pace between steps, lowered after each throttle this policy waits out. */
  readonly pace: Pace;
  /**
   * After attempt `attempt` failed with `error`: waits and returns true when another attempt
   * is due, false when the error is not a connection fault or the attempts are spent.
   * @throws ABORTED when the signal fires during the wait.
   */
  again(error: unknown, attempt: number): Promise<boolean>;
  /**
   * The error to give up with: when new sessions were tried, it says how many attempts were
   * made over how long (issue 24: a dead server took 16 s and the error did not say why).
   */
  givenUp(error: unknown): unknown;
}

/** The pause before attempt `attempt + 1`: the server's suggestion, else doubling with +-25% jitter. */
export function backoffMs(
  error: unknown,
  attempt: number,
  baseMs: number,
  random = Math.random,
): number {
  const suggested = isConnectorError(error) ? error.details?.retryAfterMs : undefined;
  if (typeof suggested === 'number' && suggested >= 0)
    return Math.min(suggested, MAX_SUGGESTED_WAIT_MS);
  const doubled = baseMs * 2 ** (attempt - 1);
  return Math.round(doubled * (0.75 + random() * 0.5));
}

export function reconnectable(error: unknown): boolean {
  return isConnectorError(error) && RECONNECTABLE.has(error.code);
}

/** The policy of a connection: `reconnectAttempts` more sessions, `reconnectDelay` ms apart at first. */
export function reconnectPolicy(
  config: Pick<Config, 'reconnectAttempts' | 'reconnectDelay'>,
  options: {
    signal?: AbortSignal | undefined;
    logger?: Logger | undefined;
    /** Told of each fault a new session is opened for (a batch lowers its connections). */
    onReconnect?: ((error: ConnectorError) => void) | undefined;
  },
): Reconnect {
  const pace = new Pace(options.logger);
  let firstFaultAt: number | undefined;
  let sessionsTried = 0;
  return {
    pace,
    givenUp(error) {
      if (!isConnectorError(error) || sessionsTried === 0 || !reconnectable(error)) return error;
      return gaveUp(error, sessionsTried + 1, Date.now() - firstFaultAt!, config.reconnectAttempts);
    },
    async again(error, attempt) {
      if (!reconnectable(error) || attempt > config.reconnectAttempts) return false;
      firstFaultAt ??= Date.now();
      sessionsTried++;
      const fault = error as ConnectorError;
      if (fault.code === 'SERVER_THROTTLED') pace.slowDown();
      options.onReconnect?.(fault);
      const waitMs = backoffMs(error, attempt, config.reconnectDelay);
      options.logger?.warn({
        msg: `${fault.code}: opening a new session in ${waitMs} ms (reconnect ${attempt} of ${config.reconnectAttempts})`,
        code: fault.code,
        attempt,
        waitMs,
      });
      await sleep(waitMs, options.signal);
      return true;
    },
  };
}

/** The last fault, saying how many sessions were tried over how long (issue 24). */
function gaveUp(
  error: ConnectorError,
  attempts: number,
  elapsedMs: number,
  reconnectAttempts: number,
): ConnectorError {
  return makeError(
    error.code,
    `${error.message} Gave up after ${attempts} attempts over ${(elapsedMs / 1000).toFixed(1)} s (reconnectAttempts ${reconnectAttempts}).`,
    {
      hint: error.hint,
      retryable: error.retryable,
      ...(error.field !== undefined ? { field: error.field } : {}),
      details: { ...error.details, attempts, elapsedMs: Math.round(elapsedMs) },
      cause: error,
    },
  );
}
