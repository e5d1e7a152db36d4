/**
 * A private redis-server for the queue tests: 127.0.0.1 on a free port, a password, its own
 * folder with append-only persistence (so a restart keeps every job and state key), run in the
 * foreground and stopped by its PID. restart() stops it and starts it again on the same port
 * and files, as an administrator restarting Redis mid-batch would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, LOOPBACK } from './dovecot.js';
import { systemProgram } from './system-package.js';

export interface RedisServer {
  /** redis://:password@127.0.0.1:port */
  url: string;
  /** The URL without the password, which then comes from the environment. */
  bareUrl: string;
  password: string;
  port: number;
  /** The running redis-server's PID (a restart changes it). */
  pid(): number;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const PASSWORD = 'redis-test-secret';

/** PING with AUTH until it answers PONG. */
async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, LOOPBACK);
    let reply = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(reply.includes('PONG')));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('PONG')) socket.end();
    });
    socket.write(`AUTH ${PASSWORD}\r\nPING\r\n`);
  });
}

/**
 * `settings` replace or add config lines by name, e.g. ['appendonly no', 'maxmemory-policy
 * allkeys-lru'] for a Redis that keeps nothing and evicts.
 */
export async function startRedis(settings: string[] = []): Promise<RedisServer> {
  const binary = systemProgram(['/usr/bin/redis-server'], ['redis-server'], 'Redis');
  const dir = mkdtempSync(join(tmpdir(), 'imap-connector-redis-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'redis.conf'),
    [
      `bind ${LOOPBACK}`,
      `port ${port}`,
      `dir ${dir}`,
      `requirepass ${PASSWORD}`,
      'appendonly yes',
      'appendfsync always',
      'save ""',
      'daemonize no',
      'logfile ""',
    ]
      .filter((line) => !settings.some((setting) => setting.split(' ')[0] === line.split(' ')[0]))
      .concat(settings, [''])
      .join('\n'),
  );
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const started = spawn(binary, [join(dir, 'redis.conf')], { stdio: 'ignore' });
    child = started;
    for (let i = 0; i < 100; i++) {
      if (started.exitCode !== null)
        throw new Error(`redis-server exited with ${started.exitCode}`);
      if (await answers(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('redis-server did not answer within 10 s');
  };
  const halt = async (): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM'); // Redis flushes its append-only file on SIGTERM
    await exited;
  };
  const stop = async (): Promise<void> => {
    await halt();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `redis://:${PASSWORD}@${LOOPBACK}:${port}`,
    bareUrl: `redis://${LOOPBACK}:${port}`,
    password: PASSWORD,
    port,
    pid: () => child?.pid ?? -1,
    restart: async () => {
      await halt();
      await start();
    },
    stop,
  };
}
