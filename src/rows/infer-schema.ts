/** JSON Schema (2020-12) of the values seen: for discover with a JSONata select. */
export type InferredSchema = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function mergeObject(values: Record<string, unknown>[]): InferredSchema {
  const keys = [...new Set(values.flatMap((v) => Object.keys(v)))].sort();
  const properties = Object.fromEntries(
    keys.map((key) => [key, inferSchema(values.filter((v) => key in v).map((v) => v[key]))]),
  );
  const required = keys.filter((key) => values.every((v) => key in v));
  return { type: 'object', properties, required };
}

/** Types, object properties (required when present in every sample) and array items, merged. */
export function inferSchema(samples: unknown[]): InferredSchema {
  if (samples.length === 0) return {};
  const types = [...new Set(samples.map(typeOf))];
  // An integer seen beside a fraction is a number.
  const merged = types.includes('number') ? types.filter((t) => t !== 'integer') : types;
  const schema: InferredSchema = { type: merged.length === 1 ? merged[0] : merged.sort() };
  const objects = samples.filter((v): v is Record<string, unknown> => typeOf(v) === 'object');
  if (objects.length > 0) Object.assign(schema, mergeObject(objects), { type: schema.type });
  const arrays = samples.filter(Array.isArray);
  if (arrays.length > 0) schema.items = inferSchema(arrays.flat());
  return schema;
}
