import { resolve } from 'node:path';
import { startConsole } from '../console/console-server.js';
import type { CliIo } from './io.js';
import { parseFlags } from './parse-flags.js';
import { usageError } from './usage-error.js';
import { EXIT_CODES } from './exit-codes.js';

export const CONSOLE_HELP = `Usage: imap-connector console [--port N] [--listen ADDR --allow-remote] [--data DIR] [--archive FILE]...

A local web console: connections (the form from connector.json, Test Connection, Test Query,
Preview, saved connections), imports and batches (new from a CSV, preflight, live progress,
stop, reports) and the archive (stats, search, messages, .eml and mbox downloads).

It listens on 127.0.0.1 and prints a link with a random access token, which every request
needs; it runs until Ctrl-C (running batches stop cleanly and can resume).

  --port N          port (default: a free one)
  --listen ADDR     address to listen on; another than loopback also needs --allow-remote
  --allow-remote    accept listening on a non-loopback address (the token is then all that
                    guards your mailboxes: put TLS in front of it)
  --data DIR        saved connections and batches (default ./imap-connector-console)
  --archive FILE    an archive to show (repeatable); batches into the archive show theirs
  -h, --help        this text
`;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** `imap-connector console`: resolves when Ctrl-C or SIGTERM stops it. */
export async function runConsoleCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({
    args,
    options: {
      port: { type: 'string' },
      listen: { type: 'string' },
      'allow-remote': { type: 'boolean' },
      data: { type: 'string' },
      archive: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(CONSOLE_HELP);
    return EXIT_CODES.ok;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw usageError('--port', 'the port must be a number from 0 to 65535');
  const listen = values.listen ?? '127.0.0.1';
  if (!LOOPBACK.test(listen)) {
    if (!values['allow-remote'])
      throw usageError(
        '--listen',
        `${listen} is not a loopback address: add --allow-remote if you mean it`,
      );
    io.stderr.write(
      `WARNING: listening on ${listen}: anyone who can reach it and has the token can read and change your mailboxes. Put TLS in front of it.\n`,
    );
  }
  const running = await startConsole({
    port,
    listen,
    allowRemote: !LOOPBACK.test(listen),
    dataDir: resolve(values.data ?? 'imap-connector-console'),
    archives: (values.archive ?? []).map((path) => resolve(path)),
    env: io.env,
  });
  io.stdout.write(`Console: ${running.link}\n`);
  await new Promise<void>((done) => {
    if (!io.signal || io.signal.aborted) return done();
    io.signal.addEventListener('abort', () => done(), { once: true });
  });
  await running.close();
  io.stderr.write('Console stopped.\n');
  return EXIT_CODES.ok;
}
