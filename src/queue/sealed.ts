/**
 * Job payloads hold mailbox passwords, and Redis is shared: they are sealed with AES-256-GCM
 * under a key only the batch runner and the workers have (IMAP_CONNECTOR_QUEUE_KEY, 32 bytes
 * as base64 or hex, or a file holding it). Redis sees ciphertext; a tampered or foreign payload
 * does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { makeError } from '../errors.js';

export interface Sealed {
  iv: string;
  tag: string;
  data: string;
}

const keyError = (message: string) => makeError('USAGE_INVALID', message, { field: '/queueKey' });

/** The 32-byte key from its text (base64 or 64 hex digits). */
export function parseQueueKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== 32)
    throw keyError(
      'The queue key must be 32 random bytes, as 64 hex digits or base64 (openssl rand -base64 32).',
    );
  return key;
}

/**
 * The key from a file, else IMAP_CONNECTOR_QUEUE_KEY.
 * @throws USAGE_INVALID when there is none or it is not 32 bytes.
 */
export function queueKey(env: Record<string, string | undefined>, file?: string): Buffer {
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw keyError(
        `--queue-key-file ${JSON.stringify(file)} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`,
      );
    }
    return parseQueueKey(text);
  }
  const fromEnv = env.IMAP_CONNECTOR_QUEUE_KEY;
  if (!fromEnv)
    throw keyError(
      'A queue needs a key to seal the mailbox passwords it carries: set IMAP_CONNECTOR_QUEUE_KEY (openssl rand -base64 32) or give --queue-key-file, the same for the batch and every worker.',
    );
  return parseQueueKey(fromEnv);
}

export function seal(value: unknown, key: Buffer): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return {
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

/** @throws USAGE_INVALID when the key is not the one it was sealed with, or it was altered. */
export function unseal<T>(sealed: Sealed, key: Buffer): T {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const text = Buffer.concat([
      decipher.update(Buffer.from(sealed.data, 'base64')),
      decipher.final(),
    ]).toString('utf8');
    return JSON.parse(text) as T;
  } catch {
    throw keyError(
      'This job was sealed with another queue key: start the worker with the key the batch was queued with.',
    );
  }
}
