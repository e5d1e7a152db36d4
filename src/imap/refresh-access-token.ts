import { isConnectorError, makeError, type ConnectorError } from '../errors.js';
import { redactText } from '../config/redact.js';
import type { Config } from '../config/validate-config.js';
import type { Deadline } from './deadline.js';

interface TokenAnswer {
  access_token?: unknown;
  expires_in?: unknown;
  error?: unknown;
  error_description?: unknown;
}

export interface AccessToken {
  accessToken: string;
  expiresInS?: number;
}

function refused(
  message: string,
  details: Record<string, unknown>,
  retryable: boolean,
  cause?: unknown,
): ConnectorError {
  return makeError('TOKEN_REFRESH_FAILED', message, {
    field: '/oauth2RefreshToken',
    retryable,
    details,
    cause,
  });
}

function describe(answer: TokenAnswer, secrets: readonly string[]): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  // RFC 6749 section 5.2 error fields; the description is provider text, so redact it.
  if (typeof answer.error === 'string') details.oauthError = answer.error;
  if (typeof answer.error_description === 'string')
    details.oauthErrorDescription = redactText(answer.error_description, secrets);
  return details;
}

/**
 * Exchanges the refresh token for an access token at oauth2TokenUrl (RFC 6749 section 6),
 * within the operation's deadline.
 * @throws TOKEN_REFRESH_FAILED for refusals and bad answers (retryable for 5xx and network errors).
 */
export async function refreshAccessToken(
  config: Config,
  deadline: Deadline,
  secrets: readonly string[],
): Promise<AccessToken> {
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: config.oauth2RefreshToken ?? '',
    client_id: config.oauth2ClientId ?? '',
  });
  if (config.oauth2ClientSecret) body.set('client_secret', config.oauth2ClientSecret);
  if (config.oauth2Scope) body.set('scope', config.oauth2Scope);
  const controller = new AbortController();
  let response: Response;
  try {
    response = await deadline.race(
      fetch(config.oauth2TokenUrl ?? '', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body,
        signal: controller.signal,
      }),
      () => controller.abort(),
    );
  } catch (error) {
    if (isConnectorError(error)) throw error; // the deadline's timeout or abort
    const reason = redactText(String((error as Error).cause ?? (error as Error).message), secrets);
    throw refused('The OAuth2 token endpoint could not be reached.', { reason }, true, error);
  }
  let answer: TokenAnswer = {};
  const text = await deadline.race(response.text(), () => controller.abort());
  try {
    answer = JSON.parse(text) as TokenAnswer;
  } catch {
    throw refused(
      `The OAuth2 token endpoint answered HTTP ${response.status} with a body that is not JSON.`,
      { httpStatus: response.status },
      response.status >= 500,
    );
  }
  if (!response.ok) {
    throw refused(
      `The OAuth2 token endpoint refused the refresh token (HTTP ${response.status}).`,
      { httpStatus: response.status, ...describe(answer, secrets) },
      response.status >= 500 || response.status === 429,
    );
  }
  if (typeof answer.access_token !== 'string' || answer.access_token === '') {
    throw refused(
      'The OAuth2 token endpoint answered without an access_token.',
      { httpStatus: response.status },
      false,
    );
  }
  return typeof answer.expires_in === 'number'
    ? { accessToken: answer.access_token, expiresInS: answer.expires_in }
    : { accessToken: answer.access_token };
}
