import { ConfigError } from '../errors.js';
import { depthIssue, formatIssues, tooDeepAt, validateWriteSchema } from '../validators.js';
import type { HeldMessage } from '../imap/append.js';
import type { DedupeMode } from './message-identity.js';

export interface WriteInput {
  folder: string;
  dedupe: DedupeMode | undefined;
  messages: HeldMessage[];
}

interface RawMessage {
  raw: string;
  encoding?: 'base64' | 'utf8';
  flags?: string[];
  internalDate?: string | number;
}

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/;

/**
 * Checks write() input against schemas/write.schema.json and decodes it, before any I/O.
 * @throws ConfigError (CONFIG_INVALID) naming each bad field, e.g. /messages/3/raw.
 */
export function parseWriteInput(input: unknown): WriteInput {
  const deep = tooDeepAt(input);
  if (deep !== undefined) throw new ConfigError([depthIssue(deep)]);
  const copy: unknown = structuredClone(input);
  if (!validateWriteSchema(copy)) throw new ConfigError(formatIssues(validateWriteSchema.errors));
  const value = copy as { folder: string; dedupe?: DedupeMode; messages: RawMessage[] };
  const issues: { field: string; message: string }[] = [];
  const messages = value.messages.map((message, index): HeldMessage => {
    const encoding = message.encoding ?? 'base64';
    if (encoding === 'base64' && !BASE64.test(message.raw))
      issues.push({
        field: `/messages/${index}/raw`,
        message: `messages/${index}/raw is not base64 (set encoding to utf8 for plain text)`,
      });
    const internalDate =
      message.internalDate === undefined ? undefined : new Date(message.internalDate);
    if (internalDate !== undefined && Number.isNaN(internalDate.getTime()))
      issues.push({
        field: `/messages/${index}/internalDate`,
        message: `messages/${index}/internalDate is not a date`,
      });
    return { raw: Buffer.from(message.raw, encoding), flags: message.flags ?? [], internalDate };
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return { folder: value.folder, dedupe: value.dedupe, messages };
}
