import { validateConfig, type Config } from '../config/validate-config.js';
import { collectSecrets, redactText } from '../config/redact.js';
import { isConnectorError, makeError, type ConnectorError, type ErrorCode } from '../errors.js';
import { reconnectPolicy } from '../imap/reconnect.js';
import { testConnection } from '../imap/test-connection.js';
import type { OperationOptions } from '../operation-options.js';
import type { ReportedError } from './mailbox-state.js';

/**
 * The connection's reconnect settings with the schema's defaults filled in. A config that does
 * not validate fails its check with CONFIG_INVALID, which no retry changes: none then.
 */
function retrySettingsOf(
  config: Record<string, unknown>,
): Pick<Config, 'reconnectAttempts' | 'reconnectDelay'> {
  try {
    return validateConfig(config);
  } catch {
    return { reconnectAttempts: 0, reconnectDelay: 0 };
  }
}

/** A login another way than Test Connection's (a POP3 source): throws what failed. */
export type LoginCheck = (
  config: Record<string, unknown>,
  options: OperationOptions,
) => Promise<unknown>;

/** Test Connection's answer, or the other check's, as an error to report or undefined. */
async function tryOnce(
  config: Record<string, unknown>,
  options: OperationOptions,
  login: LoginCheck | undefined,
): Promise<ConnectorError | undefined> {
  if (login) {
    try {
      await login(config, options);
      return undefined;
    } catch (error) {
      return isConnectorError(error)
        ? error
        : makeError('INTERNAL', String((error as Error)?.message ?? error));
    }
  }
  const result = await testConnection(config, options);
  if (result.ok) return undefined;
  return makeError(result.code as ErrorCode, result.message, {
    ...(result.error?.details ? { details: result.error.details } : {}),
    ...(result.hint ? { hint: result.hint } : {}),
  });
}

/** A login as Test Connection does it, reduced to what a report shows (no secret in any field). */
export async function checkLogin(
  config: Record<string, unknown>,
  options: OperationOptions,
  throttled: () => void,
  login?: LoginCheck,
): Promise<ReportedError | undefined> {
  // A check that a cut or a throttle answer fails would stop an unattended batch for nothing:
  // it is tried again as a read or import would be (the connection's reconnect settings).
  const policy = reconnectPolicy(retrySettingsOf(config), {
    ...options,
    onReconnect: (error) => {
      if (error.code === 'SERVER_THROTTLED') throttled();
    },
  });
  for (let attempt = 1; ; attempt++) {
    const error = await tryOnce(config, options, login);
    if (!error) return undefined;
    if (!(await policy.again(error, attempt))) {
      const given = policy.givenUp(error) as typeof error;
      return {
        code: error.code,
        message: redactText(given.message, collectSecrets(config)),
        ...(error.hint ? { hint: error.hint } : {}),
      };
    }
  }
}
