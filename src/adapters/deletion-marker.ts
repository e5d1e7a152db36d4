/**
 * The change feed (connection field `changes`) in the stream hosts' own terms: a column that
 * says when a row was deleted at the source, null while it is there. Airbyte calls it
 * `_ab_cdc_deleted_at` (its CDC sources; incremental deduped syncs drop or mark such rows),
 * Singer `_sdc_deleted_at` (targets that "hard delete" remove them). Updates are whole rows
 * with the same id: an upsert by the primary key every such host already does.
 */
type Schema = Record<string, unknown>;

export const AIRBYTE_DELETED_AT = '_ab_cdc_deleted_at';
export const SINGER_DELETED_AT = '_sdc_deleted_at';

/** Whether the host's connection asks for the change feed. */
export function wantsChanges(config: Record<string, unknown>): boolean {
  return config.changes === true;
}

/**
 * The stream's schema with the marker column. A delete row carries only what names the
 * message (id, folder, uid, uidValidity), so only those stay required, and its op is delete
 * (targets validate each record against the schema: target-jsonl refused it).
 */
export function schemaWithDeletionMarker(schema: Schema, column: string): Schema {
  const declared = schema.properties as Schema;
  const op = declared.op as Schema | undefined;
  const properties = {
    ...declared,
    // The row schema's op says insert or update; a delete record is a row of this stream too.
    ...(op && Array.isArray(op.enum) ? { op: { ...op, enum: [...op.enum, 'delete'] } } : {}),
    [column]: { type: ['string', 'null'], format: 'date-time' },
  };
  const required = (schema.required as string[] | undefined)?.filter((name) =>
    ['id', 'folder', 'uid', 'uidValidity'].includes(name),
  );
  return { ...schema, properties, ...(required ? { required } : {}) };
}

/** A row as the host takes it: the marker set (now) on a delete row, null on any other. */
export function withDeletionMarker(row: unknown, column: string, now: () => string): unknown {
  if (typeof row !== 'object' || row === null) return row;
  const fields = row as Record<string, unknown>;
  return { ...fields, [column]: fields.op === 'delete' ? now() : null };
}
