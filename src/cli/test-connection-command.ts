import { isConnectorError } from '../errors.js';
import { testConnection, type TestConnectionResult } from '../imap/test-connection.js';
import { EXIT_CODES, EXIT_CODE_HELP, exitCodeOfCode } from './exit-codes.js';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, OUTPUT_FLAGS_HELP } from './connection-flags.js';
import { connectionFromFlags } from './load-connection.js';
import { formatTestConnection } from './format-test-connection.js';
import type { CliIo } from './io.js';
import { signalOf, stderrLogger } from './io.js';
import { parseFlags } from './parse-flags.js';

export const TEST_CONNECTION_HELP = `Usage: imap-connector test-connection [options]

Connects, upgrades to TLS, logs in and lists the folders, as the host's Test Connection
button does. Prints a summary, or the JSON result with --json.

${CONNECTION_FLAGS_HELP}

${OUTPUT_FLAGS_HELP}

${EXIT_CODE_HELP}
`;

function exitCodeOf(result: TestConnectionResult): number {
  return result.ok ? EXIT_CODES.ok : exitCodeOfCode(result.code);
}

/** `imap-connector test-connection`: returns the process exit code. */
export async function runTestConnection(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({
    args,
    options: {
      ...CONNECTION_FLAGS,
      json: { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(TEST_CONNECTION_HELP);
    return EXIT_CODES.ok;
  }
  let raw: Record<string, unknown>;
  try {
    raw = connectionFromFlags(values, io);
  } catch (error) {
    if (!isConnectorError(error)) throw error;
    const result: TestConnectionResult = {
      ok: false,
      code: error.code,
      message: error.message,
      hint: error.hint,
      latencyMs: 0,
      warnings: [],
      error: error.toJSON(),
    };
    io.stdout.write(
      values.json ? JSON.stringify(result, null, 2) + '\n' : formatTestConnection(result),
    );
    return exitCodeOf(result);
  }
  const result = await testConnection(raw, {
    ...signalOf(io),
    ...(values.verbose ? { logger: stderrLogger(io) } : {}),
  });
  io.stdout.write(
    values.json ? JSON.stringify(result, null, 2) + '\n' : formatTestConnection(result),
  );
  return exitCodeOf(result);
}
