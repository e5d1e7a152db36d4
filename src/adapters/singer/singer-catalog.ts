/**
 * The Singer catalog (https://hub.meltano.com/singer/spec#catalog-files): one stream per folder
 * with metadata Meltano's select rules edit, and which streams and properties a given catalog
 * selects.
 */
import { schemaNamingFolder, type HostStream } from '../stream-names.js';
import { compile } from '../../validators.js';
import { hostInputError } from '../host-input-error.js';
import { flatRowSchema } from '../flat-row-schema.js';
import { schemaWithDeletionMarker, SINGER_DELETED_AT } from '../deletion-marker.js';

export interface SelectedStream {
  name: string;
  /** Properties deselected in the catalog (never `id` or `uid`, which are automatic). */
  excluded: string[];
}

const AUTOMATIC = ['id', 'uid'];

function propertiesOf(schema: Record<string, unknown>): string[] {
  return Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
}

/** A stream's schema as Singer targets type it: no references or unions, dates typed. */
export function singerSchema(
  stream: HostStream,
  dateTimeFormat: string | undefined,
  changes = false,
): Record<string, unknown> {
  const { $schema: _draft, ...schema } = flatRowSchema(stream.jsonSchema, dateTimeFormat);
  const marked = changes ? schemaWithDeletionMarker(schema, SINGER_DELETED_AT) : schema;
  return schemaNamingFolder(marked, stream.folder);
}

/** With `changes`, every stream has the deletion marker column `_sdc_deleted_at`. */
export function singerCatalog(
  streams: readonly HostStream[],
  dateTimeFormat: string | undefined,
  changes = false,
): Record<string, unknown> {
  return {
    streams: streams.map((stream) => {
      const schema = singerSchema(stream, dateTimeFormat, changes);
      return {
        tap_stream_id: stream.name,
        stream: stream.name,
        schema,
        key_properties: ['id'],
        replication_key: 'uid',
        replication_method: 'INCREMENTAL',
        metadata: [
          {
            breadcrumb: [],
            metadata: {
              inclusion: 'available',
              'selected-by-default': true,
              'table-key-properties': ['id'],
              'valid-replication-keys': ['uid'],
              'forced-replication-method': 'INCREMENTAL',
              'imap-folder': stream.folder,
            },
          },
          ...propertiesOf(schema).map((name) => ({
            breadcrumb: ['properties', name],
            metadata: {
              inclusion: AUTOMATIC.includes(name) ? 'automatic' : 'available',
              'selected-by-default': true,
            },
          })),
        ],
      };
    }),
  };
}

const CATALOG_SCHEMA = {
  type: 'object',
  required: ['streams'],
  properties: {
    streams: {
      type: 'array',
      items: {
        type: 'object',
        required: ['tap_stream_id'],
        properties: {
          tap_stream_id: { type: 'string', minLength: 1 },
          selected: { type: 'boolean' },
          metadata: {
            type: 'array',
            items: {
              type: 'object',
              required: ['breadcrumb', 'metadata'],
              properties: {
                breadcrumb: { type: 'array', items: { type: 'string' } },
                metadata: { type: 'object' },
              },
            },
          },
        },
      },
    },
  },
};

const validateCatalog = compile('singer-catalog', CATALOG_SCHEMA);

interface CatalogEntry {
  tap_stream_id: string;
  selected?: boolean;
  metadata?: { breadcrumb: string[]; metadata: Record<string, unknown> }[];
}

/** Whether a metadata entry selects: `selected`, else `selected-by-default`, else `fallback`. */
function selects(metadata: Record<string, unknown> | undefined, fallback: boolean): boolean {
  if (typeof metadata?.selected === 'boolean') return metadata.selected;
  if (typeof metadata?.['selected-by-default'] === 'boolean')
    return metadata['selected-by-default'] as boolean;
  return fallback;
}

/**
 * The streams a catalog selects, in its order, each with the properties it leaves out.
 * A stream is selected by `selected` in its top metadata (or the legacy stream-level flag);
 * only an explicit `selected: true` counts, as the spec says.
 * @throws USAGE_INVALID naming the catalog field at fault.
 */
export function selectedStreams(catalog: unknown): SelectedStream[] {
  if (!validateCatalog(catalog)) throw hostInputError('catalog', validateCatalog.errors);
  return (catalog as { streams: CatalogEntry[] }).streams
    .filter((entry) => {
      const top = entry.metadata?.find((m) => m.breadcrumb.length === 0)?.metadata;
      return top?.selected === true || (top?.selected === undefined && entry.selected === true);
    })
    .map((entry) => ({
      name: entry.tap_stream_id,
      excluded: (entry.metadata ?? [])
        .filter((m) => m.breadcrumb.length === 2 && m.breadcrumb[0] === 'properties')
        .filter((m) => !AUTOMATIC.includes(m.breadcrumb[1]!) && !selects(m.metadata, true))
        .map((m) => m.breadcrumb[1]!),
    }));
}
