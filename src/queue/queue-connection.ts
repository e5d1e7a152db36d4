/**
 * Where the job queue is: a `redis://` or `rediss://` URL (TLS verified unless the user opts
 * out), validated before any connection, its password from the URL, IMAP_CONNECTOR_QUEUE_PASSWORD
 * or a file, never printed. One ioredis connection per use (BullMQ wants its own blocking one).
 */
import { readFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { makeError, type ConnectorError } from '../errors.js';

export interface QueueTarget {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
  /** The URL as it may be shown: without its password. */
  shown: string;
}

export interface QueueSecrets {
  env?: Record<string, string | undefined>;
  /** A file holding the password (its first line). */
  passwordFile?: string | undefined;
}

const invalid = (message: string): ConnectorError =>
  makeError('USAGE_INVALID', message, { field: '/queue' });

/**
 * Reads a queue URL: redis://[user[:password]@]host[:port][/db], or rediss:// for TLS.
 * @throws USAGE_INVALID naming what is wrong, before any connection.
 */
export function parseQueueUrl(text: string, secrets: QueueSecrets = {}): QueueTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('--queue is not a URL; give redis://host:port or rediss://host:port.');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw invalid(`--queue must start with redis:// or rediss://, not ${url.protocol}//.`);
  if (!url.hostname) throw invalid('--queue names no host.');
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText))
    throw invalid(`--queue: the database "${dbText}" is not a number 0-99.`);
  if (url.search || url.hash) throw invalid('--queue takes no query string or fragment.');
  const env = secrets.env ?? process.env;
  const fromFile = secrets.passwordFile ? readPasswordFile(secrets.passwordFile) : undefined;
  const password =
    (url.password ? decodeURIComponent(url.password) : undefined) ??
    fromFile ??
    (env.IMAP_CONNECTOR_QUEUE_PASSWORD || undefined);
  const shown = `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.hostname}${url.port ? `:${url.port}` : ''}${dbText ? `/${dbText}` : ''}`;
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    db: dbText === '' ? 0 : Number(dbText),
    tls: url.protocol === 'rediss:',
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password,
    shown,
  };
}

function readPasswordFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').split(/\r?\n/)[0]!;
  } catch (error) {
    throw invalid(
      `--queue-password-file ${JSON.stringify(path)} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`,
    );
  }
}

/** ioredis options for the target; BullMQ needs maxRetriesPerRequest null on its connections. */
export function redisOptions(target: QueueTarget): RedisOptions {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: { servername: target.host } } : {}),
    maxRetriesPerRequest: null,
    // Offline commands wait for the reconnect (Redis restarted mid-batch) instead of failing.
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
}

// The first reply to PING in RESP (the Redis protocol): +PONG, or an error such as -NOAUTH.
const RESP_REPLY = /^(\+|-|:-?\d|\$-?\d|\*-?\d)/;

/**
 * Whether the server at the target speaks the Redis protocol: a PING and the first bytes of its
 * answer, before any client library is let near it. ioredis, pointed at another service (an
 * IMAP port greets with "* OK"), throws a TypeError from its socket handler that no caller can
 * catch and the process dies with a stack trace (issue 24).
 * @throws QUEUE_UNAVAILABLE naming what answered instead.
 */
export async function probeRedis(target: QueueTarget, timeoutMs: number): Promise<void> {
  const answer = await new Promise<string>((resolve, reject) => {
    const socket: Socket = target.tls
      ? connectTls({ host: target.host, port: target.port, servername: target.host })
      : connectTcp(target.port, target.host);
    let received = '';
    const timer = setTimeout(() => finish(), timeoutMs);
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(received);
    };
    socket.once(target.tls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\n')) finish();
    });
    socket.once('error', finish);
    socket.once('close', () => finish());
  });
  if (!RESP_REPLY.test(answer))
    throw makeError(
      'QUEUE_UNAVAILABLE',
      `The server at ${target.shown} is not Redis: ${answer === '' ? 'it answered nothing' : `it answered ${JSON.stringify(answer.split(/\r?\n/)[0]!.slice(0, 40))}`}.`,
      { details: { queue: target.shown } },
    );
}

/**
 * A connected client.
 * @throws QUEUE_UNAVAILABLE when Redis does not answer or refuses the login within timeoutMs,
 *   or something else answers.
 */
export async function connectRedis(target: QueueTarget, timeoutMs = 10_000): Promise<Redis> {
  try {
    await probeRedis(target, timeoutMs);
  } catch (error) {
    if ((error as { code?: string }).code === 'QUEUE_UNAVAILABLE') throw error;
    throw makeError(
      'QUEUE_UNAVAILABLE',
      `The queue at ${target.shown} is not available: ${queueReason(error)}.`,
      { details: { queue: target.shown } },
    );
  }
  const client = new Redis({ ...redisOptions(target), lazyConnect: true });
  client.on('error', () => undefined); // reported through the commands that fail
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      }),
    ]);
    await client.ping();
    return client;
  } catch (error) {
    client.disconnect();
    throw makeError(
      'QUEUE_UNAVAILABLE',
      `The queue at ${target.shown} is not available: ${queueReason(error)}.`,
      { details: { queue: target.shown } },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Why Redis refused, in its own words but never with a secret (they do not echo passwords). */
function queueReason(error: unknown): string {
  const text = String((error as Error)?.message ?? error);
  if (/WRONGPASS|NOAUTH|invalid password/i.test(text)) return 'the password was refused';
  if (/ECONNREFUSED/.test(text)) return 'connection refused';
  if (/timed out/.test(text)) return 'no answer in time';
  return text.replace(/\s+/g, ' ').slice(0, 200);
}
