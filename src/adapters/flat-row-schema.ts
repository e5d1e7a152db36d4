/**
 * The row schema as stream hosts type it: Airbyte and Singer targets map each property to a
 * column type and give up on `$ref` and `anyOf` (PyAirbyte: "Could not determine airbyte
 * type"). So references are inlined, and the dates, a string or epoch milliseconds by the
 * connection's dateTimeFormat, get the one type that format gives.
 */
type Schema = Record<string, unknown>;

function dateSchema(dateTimeFormat: string | undefined, nullable: boolean): Schema {
  const format = dateTimeFormat ?? 'ISO8601';
  const base: Schema =
    format === 'epochMillis'
      ? { type: nullable ? ['integer', 'null'] : 'integer' }
      : { type: nullable ? ['string', 'null'] : 'string' };
  if (format === 'ISO8601') base.format = 'date-time';
  return base;
}

function flatten(node: unknown, definitions: Schema, dateTimeFormat: string | undefined): unknown {
  if (Array.isArray(node)) return node.map((item) => flatten(item, definitions, dateTimeFormat));
  if (typeof node !== 'object' || node === null) return node;
  const schema = node as Schema;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace(/^#\/(definitions|\$defs)\//, '');
    const { $ref: _ref, ...rest } = schema;
    return flatten({ ...(definitions[name] as Schema), ...rest }, definitions, dateTimeFormat);
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'definitions' || key === '$defs' || key === '$id') continue;
    if (key === 'anyOf' && Array.isArray(value)) {
      const types = value.map((branch) => (branch as Schema).type);
      if (types.includes('string') && types.includes('integer')) {
        Object.assign(out, dateSchema(dateTimeFormat, types.includes('null')));
        continue;
      }
      if (types.every((type) => typeof type === 'string')) {
        out.type = types;
        continue;
      }
    }
    out[key] =
      key === 'properties' && typeof value === 'object' && value !== null
        ? Object.fromEntries(
            Object.entries(value).map(([name, child]) => [
              name,
              flatten(child, definitions, dateTimeFormat),
            ]),
          )
        : flatten(value, definitions, dateTimeFormat);
  }
  return out;
}

/** `schema` without references or type unions, its dates typed for `dateTimeFormat`. */
export function flatRowSchema(schema: Schema, dateTimeFormat: string | undefined): Schema {
  const definitions = (schema.definitions ?? schema.$defs ?? {}) as Schema;
  return flatten(schema, definitions, dateTimeFormat) as Schema;
}
