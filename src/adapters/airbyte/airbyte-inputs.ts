/**
 * The files Airbyte hands a source: the configured catalog (which streams, which sync mode)
 * and the state of the last run. Checked with ajv before any connection.
 */
import { compile } from '../../validators.js';
import { hostInputError } from '../host-input-error.js';
import { STREAM_STATE_SCHEMA, type StreamState } from '../stream-sync.js';

export interface ConfiguredStream {
  name: string;
  syncMode: 'full_refresh' | 'incremental';
}

const CONFIGURED_CATALOG_SCHEMA = {
  type: 'object',
  required: ['streams'],
  properties: {
    streams: {
      type: 'array',
      items: {
        type: 'object',
        required: ['stream', 'sync_mode'],
        properties: {
          stream: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string', minLength: 1 } },
          },
          sync_mode: { enum: ['full_refresh', 'incremental'] },
        },
      },
    },
  },
};

const STATE_LIST_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['type'],
    properties: {
      type: { const: 'STREAM' },
      stream: {
        type: 'object',
        required: ['stream_descriptor'],
        properties: {
          stream_descriptor: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string', minLength: 1 } },
          },
          stream_state: STREAM_STATE_SCHEMA,
        },
      },
    },
  },
};

const validateCatalog = compile('airbyte-configured-catalog', CONFIGURED_CATALOG_SCHEMA);
const validateStateList = compile('airbyte-state', STATE_LIST_SCHEMA);

/** @throws USAGE_INVALID naming the catalog's field at fault. */
export function configuredStreams(catalog: unknown): ConfiguredStream[] {
  if (!validateCatalog(catalog)) throw hostInputError('catalog', validateCatalog.errors);
  return (
    catalog as { streams: { stream: { name: string }; sync_mode: ConfiguredStream['syncMode'] }[] }
  ).streams.map((entry) => ({ name: entry.stream.name, syncMode: entry.sync_mode }));
}

/**
 * Per-stream states from a state file: a list of STREAM state messages (what Airbyte and
 * PyAirbyte pass). An empty object is no state; a GLOBAL or LEGACY state is refused.
 * @throws USAGE_INVALID naming the state's field at fault.
 */
export function streamStates(state: unknown): Map<string, StreamState> {
  const states = new Map<string, StreamState>();
  if (
    state === undefined ||
    (typeof state === 'object' &&
      state !== null &&
      !Array.isArray(state) &&
      Object.keys(state).length === 0)
  )
    return states;
  if (!validateStateList(state)) throw hostInputError('state', validateStateList.errors);
  for (const message of state as {
    stream?: { stream_descriptor: { name: string }; stream_state?: StreamState };
  }[])
    if (message.stream?.stream_state)
      states.set(message.stream.stream_descriptor.name, message.stream.stream_state);
  return states;
}
