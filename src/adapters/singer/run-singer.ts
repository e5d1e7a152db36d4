/**
 * `imap-connector singer` (also `imap-connector-singer`): a Singer tap. Discover mode prints
 * the catalog; sync mode writes SCHEMA, RECORD and STATE messages on stdout for the selected
 * streams, a STATE after every page so a target that stored the records before it can resume
 * from it. Logs and errors go to stderr, as the Singer spec wants.
 */
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { readJsonValue } from '../../config/load-config.js';
import { ConfigError } from '../../errors.js';
import type { Logger, OperationOptions } from '../../operation-options.js';
import { discover } from '../../read/discover.js';
import { writeLine, type LineSink } from '../line-output.js';
import { dateTimeFormatOf, sourceConfig, syncStream } from '../stream-sync.js';
import {
  selectedStreams,
  singerCatalog,
  singerSchema,
  type SelectedStream,
} from './singer-catalog.js';
import { aboutTap, meltanoExtractor } from './singer-settings.js';
import { bookmarksOf } from './singer-state.js';
import { hostStreams, streamNamed } from '../stream-names.js';
import { SINGER_DELETED_AT, wantsChanges, withDeletionMarker } from '../deletion-marker.js';

export const SINGER_HELP = `Usage: imap-connector singer --config FILE [--state FILE] [--catalog FILE]
       imap-connector singer --config FILE --discover
       imap-connector singer --about [--format json|markdown]
       imap-connector singer --meltano-yml

  -v, --verbose    log the IMAP conversation (redacted) on stderr

A Singer tap (the same as the imap-connector-singer command). The config is the connection
config (connector.json's fields). Without --catalog every folder is read; with one, only the
streams it selects. STATE messages carry {"bookmarks": {folder: {cursor, uidValidity, lastUid}}}.
--meltano-yml prints the custom extractor entry for a project's meltano.yml.
`;

function loadConfig(path: string | undefined): Record<string, unknown> {
  if (!path)
    throw new ConfigError(
      [{ field: '--config', message: '--config FILE is required' }],
      'USAGE_INVALID',
    );
  const config = readJsonValue(path, 'config file', '--config');
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new ConfigError([{ field: '/', message: 'the config must be a JSON object' }]);
  return sourceConfig(config as Record<string, unknown>);
}

function withoutExcluded(row: unknown, excluded: string[]): unknown {
  if (excluded.length === 0 || typeof row !== 'object' || row === null) return row;
  const copy = { ...(row as Record<string, unknown>) };
  for (const name of excluded) delete copy[name];
  return copy;
}

function schemaWithout(
  schema: Record<string, unknown>,
  excluded: string[],
): Record<string, unknown> {
  if (excluded.length === 0) return schema;
  const properties = { ...(schema.properties as Record<string, unknown>) };
  for (const name of excluded) delete properties[name];
  const required = (schema.required as string[] | undefined)?.filter((n) => !excluded.includes(n));
  return { ...schema, properties, ...(required ? { required } : {}) };
}

async function sync(
  values: { config?: string; state?: string; catalog?: string; properties?: string },
  out: LineSink,
  options: OperationOptions,
): Promise<void> {
  const config = loadConfig(values.config);
  const catalogPath = values.catalog ?? values.properties;
  const chosen = catalogPath
    ? selectedStreams(readJsonValue(catalogPath, 'catalog file', '--catalog'))
    : undefined;
  const bookmarks = values.state
    ? bookmarksOf(readJsonValue(values.state, 'state file', '--state'))
    : {};
  // The schema of each stream comes from discover, which also checks the streams exist.
  const found = hostStreams((await discover(config, undefined, options)).streams);
  const streams: SelectedStream[] =
    chosen ?? found.map((stream) => ({ name: stream.name, excluded: [] }));
  const stateMessage = () => ({ type: 'STATE', value: { bookmarks } });
  const changes = wantsChanges(config);
  for (const stream of streams) {
    const known = streamNamed(found, stream.name);
    if (!known) {
      options.logger?.warn({
        msg: `stream ${JSON.stringify(stream.name)} is no folder of this query; skipped`,
      });
      continue;
    }
    await writeLine(out, {
      type: 'SCHEMA',
      stream: stream.name,
      schema: schemaWithout(
        singerSchema(known, dateTimeFormatOf(config), changes),
        stream.excluded,
      ),
      key_properties: ['id'],
      bookmark_properties: ['uid'],
    });
    // A bookmark made before streams were renamed is under the folder's path: moved over.
    const previous = bookmarks[stream.name] ?? bookmarks[known.folder];
    if (known.folder !== stream.name) delete bookmarks[known.folder];
    await syncStream(
      config,
      known.folder,
      previous,
      {
        onRow: (row) =>
          writeLine(out, {
            type: 'RECORD',
            stream: stream.name,
            record: withoutExcluded(
              changes
                ? withDeletionMarker(row, SINGER_DELETED_AT, () => new Date().toISOString())
                : row,
              stream.excluded,
            ),
            time_extracted: new Date().toISOString(),
          }),
        onState: (state) => {
          bookmarks[stream.name] = state;
          return writeLine(out, stateMessage());
        },
        onWarning: (warning) => options.logger?.warn({ msg: warning }),
      },
      options,
    );
  }
  await writeLine(out, stateMessage());
}

export interface SingerIo {
  stdout: LineSink;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * Runs the tap. Errors are thrown for the caller to report on stderr (the CLI prints them
 * with code, hint and retry advice and exits with the code's class).
 */
export async function runSinger(args: string[], io: SingerIo): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      state: { type: 'string', short: 's' },
      catalog: { type: 'string' },
      properties: { type: 'string', short: 'p' },
      discover: { type: 'boolean', short: 'd' },
      about: { type: 'boolean' },
      format: { type: 'string' },
      'meltano-yml': { type: 'boolean' },
      // Read by the CLI, which decides what the logger drops.
      verbose: { type: 'boolean', short: 'v' },
    },
    strict: true,
  });
  const options: OperationOptions = {
    logger: io.logger,
    ...(io.signal ? { signal: io.signal } : {}),
  };
  if (values.about) {
    const about = aboutTap();
    io.stdout.write(
      values.format === 'markdown' ? aboutMarkdown(about) : JSON.stringify(about, null, 2) + '\n',
    );
  } else if (values['meltano-yml']) {
    io.stdout.write(stringify({ plugins: { extractors: [meltanoExtractor()] } }));
  } else if (values.discover) {
    await discoverCatalog(values.config, io, options);
  } else {
    await sync(values, io.stdout, options);
  }
}

/** --discover: the catalog of the config's folders on stdout. */
async function discoverCatalog(
  configPath: string | undefined,
  io: SingerIo,
  options: OperationOptions,
): Promise<void> {
  const config = loadConfig(configPath);
  const result = await discover(config, undefined, options);
  for (const warning of result.warnings) io.logger.warn({ msg: warning });
  const catalog = singerCatalog(
    hostStreams(result.streams),
    dateTimeFormatOf(config),
    wantsChanges(config),
  );
  io.stdout.write(JSON.stringify(catalog, null, 2) + '\n');
}

function aboutMarkdown(about: Record<string, unknown>): string {
  const settings = (about.settings as { properties: Record<string, { description: string }> })
    .properties;
  return [
    `# ${String(about.name)}`,
    '',
    String(about.description),
    '',
    `Capabilities: ${(about.capabilities as string[]).join(', ')}`,
    '',
    '## Settings',
    '',
    ...Object.entries(settings).map(([name, p]) => `- \`${name}\`: ${p.description}`),
    '',
  ].join('\n');
}
