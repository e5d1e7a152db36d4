import { testQuery, type TestQueryResult } from '../read/test-query.js';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_HELP, OUTPUT_FLAGS_HELP } from './connection-flags.js';
import { EXIT_CODES, EXIT_CODE_HELP, exitCodeOfCode } from './exit-codes.js';
import { signalOf, stderrLogger, type CliIo } from './io.js';
import { connectionFromFlags } from './load-connection.js';
import { QUERY_FLAGS, QUERY_FLAGS_HELP, queryFromFlags, selectFromFlags } from './query-flags.js';
import { reportError } from './report-error.js';
import { parseFlags } from './parse-flags.js';

export const TEST_QUERY_HELP = `Usage: imap-connector test-query [options]

Compiles the query, shows the IMAP SEARCH it becomes in each folder, how many messages match
and the first rows. Never changes the mailbox (EXAMINE, BODY.PEEK).

${QUERY_FLAGS_HELP}
      --sample N           rows to show (default 5)

${CONNECTION_FLAGS_HELP}

${OUTPUT_FLAGS_HELP}

${EXIT_CODE_HELP}
`;

function formatResult(result: TestQueryResult): string {
  if (!result.ok)
    return `FAILED  ${result.code}  ${result.message}\n  hint          ${result.error?.hint ?? ''}\n`;
  const lines = [`OK  ${result.message}`];
  for (const folder of result.folders) {
    lines.push(
      `  ${folder.folder}: ${folder.matches} of ${folder.messages} match (UIDNEXT ${folder.uidNext ?? '-'}, UIDVALIDITY ${folder.uidValidity})`,
      `      ${folder.search}`,
    );
  }
  for (const row of result.sample) lines.push(`  sample: ${JSON.stringify(row).slice(0, 300)}`);
  for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n') + '\n';
}

/** `imap-connector test-query`. */
export async function runTestQuery(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({
    args,
    options: {
      ...CONNECTION_FLAGS,
      ...QUERY_FLAGS,
      sample: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(TEST_QUERY_HELP);
    return EXIT_CODES.ok;
  }
  try {
    const connection = connectionFromFlags(values, io);
    const result = await testQuery(connection, queryFromFlags(values), {
      ...signalOf(io),
      ...selectFromFlags(values),
      ...(values.sample ? { sampleSize: Number(values.sample) } : {}),
      ...(values.verbose ? { logger: stderrLogger(io) } : {}),
    });
    io.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : formatResult(result));
    return result.ok ? EXIT_CODES.ok : exitCodeOfCode(result.code);
  } catch (error) {
    return reportError(error, io, Boolean(values.json));
  }
}
