import { redactDeep } from '../config/redact.js';
import type { ImapFlowLogger } from '../config/to-imapflow-options.js';
import type { Logger } from '../operation-options.js';

// Protocol lines can carry message text; a log needs their start, not their bulk.
const MAX_MESSAGE_CHARS = 300;

/**
 * imapflow's logger -> the host's, with secrets redacted and long protocol lines cut.
 * imapflow already hides AUTHENTICATE/LOGIN arguments; this is the second line of defence.
 */
export function toImapFlowLogger(logger: Logger, secrets: readonly string[]): ImapFlowLogger {
  const forward =
    (level: keyof Logger) =>
    (entry: unknown): void => {
      const safe = redactDeep(
        typeof entry === 'object' && entry !== null ? entry : { msg: entry },
        secrets,
      ) as Record<string, unknown>;
      if (typeof safe.msg === 'string' && safe.msg.length > MAX_MESSAGE_CHARS)
        safe.msg = safe.msg.slice(0, MAX_MESSAGE_CHARS) + '...';
      logger[level]({ ...safe, src: `imapflow:${String(safe.src ?? '')}` });
    };
  return {
    debug: forward('debug'),
    info: forward('info'),
    warn: forward('warn'),
    error: forward('error'),
  };
}
