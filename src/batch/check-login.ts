import { validateConfig, type Config } from '../config/validate-config.js';
import { makeError, type ErrorCode } from '../errors.js';
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

/** A login as Test Connection does it, reduced to what a report shows (no secret in any field). */
export async function checkLogin(
  config: Record<string, unknown>,
  options: OperationOptions,
  throttled: () => void,
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
    const result = await testConnection(config, options);
    if (result.ok) return undefined;
    const error = makeError(result.code as ErrorCode, result.message, {
      ...(result.error?.details ? { details: result.error.details } : {}),
    });
    if (!(await policy.again(error, attempt))) {
      const given = policy.givenUp(error) as typeof error;
      return {
        code: result.code,
        message: given.message,
        ...(result.hint ? { hint: result.hint } : {}),
      };
    }
  }
}
