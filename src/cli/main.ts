#!/usr/bin/env node
/**
 * The command line: one sub-command per operation. Results go to stdout, logs to stderr,
 * and the exit code says which class of error happened (see exit-codes.ts).
 */
import { fstatSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONNECTOR_VERSION } from '../manifest.js';
import { isConnectorError } from '../errors.js';
import { didYouMean } from '../did-you-mean.js';
import { watchForStall } from '../stall-guard.js';
import { pipeDrained } from './pipe-drain.js';
import { keepHeapLean, keepHeapLeanFromStart } from './lean-heap.js';
import { useCompileCache } from './compile-cache.js';
import { EXIT_CODES, EXIT_CODE_HELP, EXIT_PIPE_CLOSED } from './exit-codes.js';
import type { CliIo } from './io.js';
import { reportError } from './report-error.js';
type Command = (args: string[], io: CliIo) => Promise<number>;

/**
 * A command loaded when it runs: each takes only the modules it needs (imapflow, ajv, BullMQ,
 * the web framework, LDAP, SMTP), so `--help`, `--version` and the archive's commands start
 * without the IMAP stack, and a read without the batch machinery.
 */
function lazy<M>(load: () => Promise<M>, pick: (module: M) => Command): Command {
  return async (args, io) => pick(await load())(args, io);
}

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  'test-connection': {
    run: lazy(
      () => import('./test-connection-command.js'),
      (m) => m.runTestConnection,
    ),
    summary: 'connect, log in and list folders',
  },
  'test-query': {
    run: lazy(
      () => import('./test-query-command.js'),
      (m) => m.runTestQuery,
    ),
    summary: 'show the IMAP SEARCH a query becomes, match counts and sample rows',
  },
  read: {
    run: lazy(
      () => import('./read-command.js'),
      (m) => m.runRead,
    ),
    summary: 'read matching messages as NDJSON rows (one page, or --all)',
  },
  discover: {
    run: lazy(
      () => import('./discover-command.js'),
      (m) => m.runDiscover,
    ),
    summary: 'print the streams (one per folder) and the JSON Schema of the rows a query produces',
  },
  'apply-actions': {
    run: lazy(
      () => import('./apply-actions-command.js'),
      (m) => m.runApplyActions,
    ),
    summary: 'acknowledge processed rows: mark, flag, move or delete just those messages',
  },
  import: {
    run: lazy(
      () => import('./import-command.js'),
      (m) => m.runImportCommand,
    ),
    summary: 'copy a mailbox into the embedded archive or another IMAP account, never twice',
  },
  batch: {
    run: lazy(
      () => import('./batch-command.js'),
      (m) => m.runBatchCommand,
    ),
    summary:
      'many mailboxes at once from a profile and a CSV or master-user list: run, check, status, list',
  },
  worker: {
    run: lazy(
      () => import('./worker-command.js'),
      (m) => m.runWorkerCommand,
    ),
    summary: 'import the mailboxes of batches queued on Redis (batch run --queue), on this machine',
  },
  write: {
    run: lazy(
      () => import('./write-command.js'),
      (m) => m.runWrite,
    ),
    summary:
      'store .eml files or rows read with --raw in a folder of a target account, never twice',
  },
  airbyte: {
    run: lazy(
      () => import('./host-commands.js'),
      (m) => m.runAirbyteCommand,
    ),
    summary: 'an Airbyte source: spec, check, discover, read (Airbyte protocol on stdout)',
  },
  singer: {
    run: lazy(
      () => import('./host-commands.js'),
      (m) => m.runSingerCommand,
    ),
    summary: 'a Singer tap for Meltano: --discover, --about, or SCHEMA/RECORD/STATE on stdout',
  },
  console: {
    run: lazy(
      () => import('./console-command.js'),
      (m) => m.runConsoleCommand,
    ),
    summary: 'a local web console: connections, imports and batches, the archive (in the browser)',
  },
  archive: {
    run: lazy(
      () => import('./archive-command.js'),
      (m) => m.runArchiveCommand,
    ),
    summary: 'archive stats, verify, or export archived mail as .eml files or mbox',
  },
};

const HELP = `Usage: imap-connector <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(18)}${c.summary}`)
  .join('\n')}

Run "imap-connector <command> --help" for the options of a command.

${EXIT_CODE_HELP}
`;

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(HELP);
    return name === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${CONNECTOR_VERSION}\n`);
    return EXIT_CODES.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(
      `Unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}. Commands: ${Object.keys(COMMANDS).join(', ')}.\n`,
    );
    return EXIT_CODES.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (isConnectorError(error)) return reportError(error, io, false);
    // parseArgs rejects other malformed flags with ERR_PARSE_ARGS_*; anything else is a bug.
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`${(error as Error).message}\nRun "imap-connector ${name} --help".\n`);
      return EXIT_CODES.usage;
    }
    io.stderr.write(`Internal error: ${(error as Error).message}\n`);
    return EXIT_CODES.internal;
  }
}

/**
 * Runs `argv` as the process's command: Ctrl-C and SIGTERM stop the running operation cleanly
 * (state saved, one "stopped" report) and exit 128 + the signal's number, as shells and
 * schedulers expect; a second Ctrl-C kills. The host bins (imap-connector-airbyte, -singer)
 * call it with their sub-command in front.
 */
export function runAsProgram(argv: string[]): void {
  // Before the command's modules load: they are most of a command's start.
  useCompileCache();
  const process_ = watchProcess();
  // Node exits 0 when nothing is left to wait for, even with the command still pending: a
  // command that stalls must not look like one that succeeded (issue 24).
  const guard = watchForStall(`${argv[0] ?? 'imap-connector'} command`);
  keepHeapLeanFromStart(argv, process.env);
  Promise.race([
    main(argv, {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      signal: process_.signal,
      stdoutKind: stdoutKindOf(),
      outputClosed: process_.outputClosed,
      flush: () => new Promise<void>((resolve) => process.stdout.write('', () => resolve())),
      pipeDrained,
      keepHeapLean,
    }),
    guard.stalled,
  ]).then(
    (exitCode) => {
      guard.cancel();
      process.exitCode = process_.signalExit() ?? exitCode;
    },
    (error: unknown) => {
      guard.cancel();
      process.stderr.write(`Internal error: ${(error as Error).message}\n`);
      process.exitCode = EXIT_CODES.internal;
    },
  );
}

/**
 * The process's ways to stop a command: Ctrl-C (130), SIGTERM (143), the reader of stdout going
 * away (141, "| head"); and one line instead of a stack trace for a library that throws from its
 * own socket handler (ioredis at a service that is not Redis) or rejects unheard.
 */
function watchProcess(): {
  signal: AbortSignal;
  outputClosed: () => boolean;
  signalExit: () => number | undefined;
} {
  const stop = new AbortController();
  let signalExit: number | undefined;
  let closed = false;
  const stopWith = (exitCode: number): void => {
    signalExit ??= exitCode;
    stop.abort();
  };
  process.once('SIGINT', () => stopWith(130));
  process.once('SIGTERM', () => stopWith(143));
  process.on('uncaughtException', (error) => {
    process.stderr.write(`Internal error: ${error.message}\n`);
    process.exit(EXIT_CODES.internal);
  });
  // A rejection nobody heard is a defect: one line and exit 1, never a silent success.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`Internal error: ${(reason as Error)?.message ?? String(reason)}\n`);
    process.exit(EXIT_CODES.internal);
  });
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
    stopWith(EXIT_PIPE_CLOSED);
  });
  return { signal: stop.signal, outputClosed: () => closed, signalExit: () => signalExit };
}

/** What this process's stdout is: a pipe or socket, a regular file, or else (a terminal, /dev/null). */
function stdoutKindOf(): NonNullable<CliIo['stdoutKind']> {
  try {
    const stat = fstatSync(1);
    if (stat.isFIFO() || stat.isSocket()) return 'pipe';
    return stat.isFile() ? 'file' : 'terminal';
  } catch {
    return 'terminal';
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  return script !== undefined && realpathSync(script) === fileURLToPath(import.meta.url);
}

if (isEntryPoint()) runAsProgram(process.argv.slice(2));
