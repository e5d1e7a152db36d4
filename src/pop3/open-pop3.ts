import { literalLimit, tlsOptions } from '../config/to-imapflow-options.js';
import type { Config } from '../config/validate-config.js';
import type { OperationOptions } from '../operation-options.js';
import { Pop3Client } from './pop3-client.js';

/**
 * A logged-in POP3 session for a source connection, and the account its mail is filed under
 * (the mailbox's login, or the mailbox a master user opened, at the host), as IMAP names it.
 * TLS is verified unless the connection opts out, as for IMAP.
 */
export async function openPop3(
  config: Config,
  options: OperationOptions,
): Promise<{ client: Pop3Client; account: string }> {
  const client = await Pop3Client.connect({
    host: config.host,
    port: config.port,
    security: config.security,
    tls: tlsOptions(config),
    timeoutMs: config.timeout,
    maxResponseBytes: literalLimit(config),
    signal: options.signal,
  });
  try {
    const master = config.authMethod === 'masterUser';
    await client.login({
      username: config.username,
      password: config.password ?? '',
      authorizationIdentity: master ? config.authorizationIdentity : undefined,
    });
  } catch (error) {
    client.destroy();
    throw error;
  }
  const mailbox = config.authMethod === 'masterUser' ? config.authorizationIdentity : undefined;
  return { client, account: `${mailbox ?? config.username}@${config.host}` };
}
