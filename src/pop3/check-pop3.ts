import { validateConfig } from '../config/validate-config.js';
import type { OperationOptions } from '../operation-options.js';
import { openPop3 } from './open-pop3.js';
import { usePop3Ports } from './pop3-ports.js';

/**
 * A POP3 source's login as a batch's preflight checks it: connect (TLS as configured), log
 * in, STAT, QUIT; how many messages the mailbox holds.
 * @throws the connection's and the login's errors (AUTH_FAILED, TLS_FAILED, ...).
 */
export async function checkPop3(
  connection: Record<string, unknown>,
  options: OperationOptions,
): Promise<number> {
  const config = validateConfig(connection);
  usePop3Ports(config, connection);
  const { client } = await openPop3(config, options);
  try {
    const { count } = await client.stat();
    await client.quit();
    return count;
  } finally {
    client.destroy();
  }
}
