import type { HostStream } from '../stream-names.js';
import { schemaNamingFolder } from '../stream-names.js';
import { flatRowSchema } from '../flat-row-schema.js';

/**
 * discover()'s streams as Airbyte's AirbyteStream: a folder per stream (named for hosts), `id` as primary key,
 * `uid` as the source-defined cursor; the schema without references or unions (draft-07, typed
 * dates), which Airbyte's destinations map to columns.
 */
export function airbyteStreams(
  streams: readonly HostStream[],
  dateTimeFormat: string | undefined,
): Record<string, unknown>[] {
  return streams.map((stream) => ({
    name: stream.name,
    json_schema: {
      ...schemaNamingFolder(flatRowSchema(stream.jsonSchema, dateTimeFormat), stream.folder),
      $schema: 'http://json-schema.org/draft-07/schema#',
    },
    supported_sync_modes: stream.supportedSyncModes,
    source_defined_cursor: true,
    default_cursor_field: stream.cursorField,
    source_defined_primary_key: stream.primaryKey,
    is_resumable: true,
  }));
}
