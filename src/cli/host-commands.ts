import { AIRBYTE_HELP, runAirbyte } from '../adapters/airbyte/run-airbyte.js';
import { SINGER_HELP, runSinger } from '../adapters/singer/run-singer.js';
import { EXIT_CODES } from './exit-codes.js';
import { signalOf, stderrLogger, type CliIo } from './io.js';
import { reportError } from './report-error.js';

function wantsHelp(args: string[]): boolean {
  return args.length === 0 || args.includes('--help') || args.includes('-h');
}

/** `imap-connector airbyte ...`: the protocol owns stdout, so errors are TRACE messages there. */
export async function runAirbyteCommand(args: string[], io: CliIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(AIRBYTE_HELP);
    return args.length === 0 ? 2 : 0;
  }
  return runAirbyte(args, { stdout: io.stdout, ...signalOf(io) });
}

/** `imap-connector singer ...`: Singer messages on stdout, logs and errors on stderr. */
export async function runSingerCommand(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(SINGER_HELP);
    return 0;
  }
  try {
    // The IMAP conversation (debug) only with --verbose: Meltano shows every stderr line.
    const verbose = args.includes('--verbose') || args.includes('-v');
    const logger = { ...stderrLogger(io), ...(verbose ? {} : { debug: () => {} }) };
    await runSinger(args, { stdout: io.stdout, logger, ...signalOf(io) });
    return EXIT_CODES.ok;
  } catch (error) {
    return reportError(error, io, false);
  }
}
