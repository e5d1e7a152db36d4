import { discover } from '../read/discover.js';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_HELP } from './connection-flags.js';
import { EXIT_CODES, EXIT_CODE_HELP } from './exit-codes.js';
import { signalOf, stderrLogger, type CliIo } from './io.js';
import { connectionFromFlags } from './load-connection.js';
import { QUERY_FLAGS, QUERY_FLAGS_HELP, queryFromFlags, selectFromFlags } from './query-flags.js';
import { reportError } from './report-error.js';
import { parseFlags } from './parse-flags.js';

export const DISCOVER_HELP = `Usage: imap-connector discover [options]

Prints the streams of a query (one per folder, with primary key and cursor field) and the
JSON Schema of its rows (schema import), as {"schema", "streams", "warnings"}. With a JSONata
--select the schema is inferred from sampled rows; a select that reads fields rows do not
have, or yields nothing, is warned about on stderr.

${QUERY_FLAGS_HELP}

${CONNECTION_FLAGS_HELP}

  -v, --verbose    log the IMAP conversation (redacted) on stderr
  -h, --help       this text

${EXIT_CODE_HELP}
`;

/** `imap-connector discover`. */
export async function runDiscover(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({
    args,
    options: {
      ...CONNECTION_FLAGS,
      ...QUERY_FLAGS,
      json: { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(DISCOVER_HELP);
    return EXIT_CODES.ok;
  }
  try {
    const result = await discover(connectionFromFlags(values, io), queryFromFlags(values), {
      ...signalOf(io),
      ...selectFromFlags(values),
      ...(values.verbose ? { logger: stderrLogger(io) } : {}),
    });
    for (const warning of result.warnings) io.stderr.write(`warning: ${warning}\n`);
    io.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return EXIT_CODES.ok;
  } catch (error) {
    return reportError(error, io, Boolean(values.json));
  }
}
