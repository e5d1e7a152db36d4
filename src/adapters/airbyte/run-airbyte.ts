/**
 * `imap-connector airbyte spec|check|discover|read`: an Airbyte source on the connector's
 * public operations. Airbyte reads every message from stdout, so logs go out as LOG messages
 * and failures as TRACE errors (with the error code), never as bare text.
 */
import { parseArgs } from 'node:util';
import { readJsonValue } from '../../config/load-config.js';
import { ConfigError } from '../../errors.js';
import { testConnection } from '../../imap/test-connection.js';
import type { Logger, OperationOptions } from '../../operation-options.js';
import { discover } from '../../read/discover.js';
import { writeLine, type LineSink } from '../line-output.js';
import { dateTimeFormatOf, sourceConfig, syncStream } from '../stream-sync.js';
import { fromAirbyteConfig } from './airbyte-config.js';
import { configuredStreams, streamStates } from './airbyte-inputs.js';
import {
  errorTraceMessage,
  logMessage,
  recordMessage,
  streamStateMessage,
  streamStatusMessage,
  type AirbyteMessage,
} from './airbyte-messages.js';
import { airbyteSpec } from './airbyte-spec.js';
import { airbyteStreams } from './airbyte-catalog.js';
import { hostStreams, streamNamed } from '../stream-names.js';
import { AIRBYTE_DELETED_AT, wantsChanges, withDeletionMarker } from '../deletion-marker.js';

export interface AirbyteIo {
  stdout: LineSink;
  signal?: AbortSignal;
}

export const AIRBYTE_HELP = `Usage: imap-connector airbyte <spec|check|discover|read> [options]

An Airbyte source speaking the Airbyte protocol on stdout (one JSON message per line).

  spec                                        the connection form (SPEC)
  check    --config FILE                      connect and log in (CONNECTION_STATUS)
  discover --config FILE                      one stream per folder (CATALOG)
  read     --config FILE --catalog FILE [--state FILE]
                                              RECORD and per-stream STATE messages

The config has the shape of the SPEC's connectionSpecification. Errors are TRACE messages
of type ERROR whose message starts with the error code; the exit code is then 1.
`;

/** A logger whose entries become LOG messages (the session redacts them before they get here). */
function airbyteLogger(emit: (message: AirbyteMessage) => Promise<void>): Logger {
  const log =
    (level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR') =>
    (entry: Record<string, unknown>): void => {
      void emit(logMessage(level, JSON.stringify(entry)));
    };
  return { debug: () => {}, info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}

function loadConfig(path: string | undefined): Record<string, unknown> {
  if (!path)
    throw new ConfigError(
      [{ field: '--config', message: '--config FILE is required' }],
      'USAGE_INVALID',
    );
  return sourceConfig(fromAirbyteConfig(readJsonValue(path, 'config file', '--config')));
}

async function check(
  configPath: string | undefined,
  options: OperationOptions,
  emit: (m: AirbyteMessage) => Promise<void>,
): Promise<void> {
  const result = await testConnection(loadConfig(configPath), options);
  const message = result.ok
    ? `Logged in as ${result.authenticatedAs ?? 'the user'}; ${result.folders?.count ?? 0} folders.`
    : `${result.code}: ${result.message}${result.hint ? ` ${result.hint}` : ''}`;
  await emit({
    type: 'CONNECTION_STATUS',
    connectionStatus: { status: result.ok ? 'SUCCEEDED' : 'FAILED', message },
  });
}

async function read(
  values: { config?: string; catalog?: string; state?: string },
  options: OperationOptions,
  emit: (m: AirbyteMessage) => Promise<void>,
): Promise<void> {
  const config = loadConfig(values.config);
  if (!values.catalog)
    throw new ConfigError(
      [{ field: '--catalog', message: '--catalog FILE is required' }],
      'USAGE_INVALID',
    );
  const streams = configuredStreams(readJsonValue(values.catalog, 'catalog file', '--catalog'));
  const states = values.state
    ? streamStates(readJsonValue(values.state, 'state file', '--state'))
    : new Map();
  // Stream names are folder names made safe for hosts (stream-names.ts): LIST says which.
  const found = hostStreams((await discover(config, undefined, options)).streams);
  const changes = wantsChanges(config);
  for (const stream of streams) {
    await emit(streamStatusMessage(stream.name, 'STARTED'));
    let started = false;
    try {
      const folder = streamNamed(found, stream.name)?.folder ?? stream.name;
      const previous =
        stream.syncMode === 'incremental'
          ? (states.get(stream.name) ?? states.get(folder))
          : undefined;
      const { rows } = await syncStream(
        config,
        folder,
        previous,
        {
          onRow: async (row) => {
            if (!started) {
              started = true;
              await emit(streamStatusMessage(stream.name, 'RUNNING'));
            }
            const data = changes
              ? withDeletionMarker(row, AIRBYTE_DELETED_AT, () => new Date().toISOString())
              : row;
            await emit(recordMessage(stream.name, data, Date.now()));
          },
          onState: (state) => emit(streamStateMessage(stream.name, { ...state })),
          onWarning: (warning) => emit(logMessage('WARN', warning)),
        },
        options,
      );
      await emit(logMessage('INFO', `${stream.name}: ${rows} records`));
      await emit(streamStatusMessage(stream.name, 'COMPLETE'));
    } catch (error) {
      await emit(streamStatusMessage(stream.name, 'INCOMPLETE'));
      await emit(errorTraceMessage(error, stream.name));
      throw new AlreadyReported();
    }
  }
}

class AlreadyReported extends Error {}

/** Runs one Airbyte command; resolves to the exit code (0, or 1 after a TRACE error). */
export async function runAirbyte(args: string[], io: AirbyteIo): Promise<number> {
  const emit = (message: AirbyteMessage): Promise<void> => writeLine(io.stdout, message);
  const [command, ...rest] = args;
  try {
    const { values } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string' },
        catalog: { type: 'string' },
        state: { type: 'string' },
      },
      strict: true,
    });
    const options: OperationOptions = {
      logger: airbyteLogger(emit),
      ...(io.signal ? { signal: io.signal } : {}),
    };
    switch (command) {
      case 'spec':
        await emit({ type: 'SPEC', spec: airbyteSpec() });
        return 0;
      case 'check':
        await check(values.config, options, emit);
        return 0;
      case 'discover': {
        const config = loadConfig(values.config);
        const result = await discover(config, undefined, options);
        for (const warning of result.warnings) await emit(logMessage('WARN', warning));
        const streams = airbyteStreams(
          hostStreams(result.streams),
          dateTimeFormatOf(config),
          wantsChanges(config),
        );
        await emit({ type: 'CATALOG', catalog: { streams } });
        return 0;
      }
      case 'read':
        await read(values, options, emit);
        return 0;
      default:
        throw new ConfigError(
          [
            {
              field: 'command',
              message: `airbyte needs one of spec, check, discover, read${command ? `, not ${JSON.stringify(command)}` : ''}`,
            },
          ],
          'USAGE_INVALID',
        );
    }
  } catch (error) {
    if (error instanceof AlreadyReported) return 1;
    // A bad config is a failed check, not a crash: Airbyte shows the status to the user.
    if (command === 'check' && error instanceof ConfigError && error.code === 'CONFIG_INVALID') {
      await emit({
        type: 'CONNECTION_STATUS',
        connectionStatus: { status: 'FAILED', message: `${error.code}: ${error.message}` },
      });
      return 0;
    }
    await emit(errorTraceMessage(error));
    return 1;
  }
}
