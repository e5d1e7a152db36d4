import type { HostStream } from '../stream-names.js';
import { schemaNamingFolder } from '../stream-names.js';
import { flatRowSchema } from '../flat-row-schema.js';
import { AIRBYTE_DELETED_AT, schemaWithDeletionMarker } from '../deletion-marker.js';

/**
 * discover()'s streams as Airbyte's AirbyteStream: a folder per stream (named for hosts), `id` as primary key,
 * `uid` as the source-defined cursor; the schema without references or unions (draft-07, typed
 * dates), which Airbyte's destinations map to columns. With `changes`, the deletion marker
 * column `_ab_cdc_deleted_at`.
 */
export function airbyteStreams(
  streams: readonly HostStream[],
  dateTimeFormat: string | undefined,
  changes = false,
): Record<string, unknown>[] {
  return streams.map((stream) => {
    const flat = flatRowSchema(stream.jsonSchema, dateTimeFormat);
    const schema = changes ? schemaWithDeletionMarker(flat, AIRBYTE_DELETED_AT) : flat;
    return airbyteStream(stream, {
      ...schemaNamingFolder(schema, stream.folder),
      $schema: 'http://json-schema.org/draft-07/schema#',
    });
  });
}

function airbyteStream(
  stream: HostStream,
  jsonSchema: Record<string, unknown>,
): Record<string, unknown> {
  return {
    name: stream.name,
    json_schema: jsonSchema,
    supported_sync_modes: stream.supportedSyncModes,
    source_defined_cursor: true,
    default_cursor_field: stream.cursorField,
    source_defined_primary_key: stream.primaryKey,
    is_resumable: true,
  };
}
