/**
 * Copies what the connection schema says about each field (help, default, allowed values,
 * limits, pattern, secret) into connector.json's form fields, so a host that draws the form
 * from the manifest alone enforces what the runtime enforces. Layout (label, widget, group,
 * conditions, placeholder) stays hand-written in connector.json.
 * `npm run manifest` rewrites the file; test/contract/manifest.test.ts fails when it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface SchemaProperty {
  description: string;
  default?: unknown;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  writeOnly?: boolean;
  anyOf?: Partial<SchemaProperty>[];
}

/** The field properties generated from the schema, in the order they appear in the manifest. */
export const GENERATED_KEYS = [
  'help',
  'secret',
  'default',
  'allowedValues',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
] as const;

/** A manifest field with its generated properties taken from `property`. */
export function syncField(
  field: Record<string, unknown>,
  declared: SchemaProperty & { anyOf?: object[] },
): Record<string, unknown> {
  // A value that may be a number or a text carries its limits and pattern in the branches.
  const property: SchemaProperty = Object.assign({}, ...(declared.anyOf ?? []), declared);
  const generated: Record<string, unknown> = {
    help: property.description,
    secret: property.writeOnly === true,
    default: property.default,
    allowedValues: property.enum,
    minimum: property.minimum,
    maximum: property.maximum,
    minLength: property.minLength,
    maxLength: property.maxLength,
    pattern: property.pattern,
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(field))
    if (!(GENERATED_KEYS as readonly string[]).includes(key)) out[key] = value;
  for (const key of GENERATED_KEYS) if (generated[key] !== undefined) out[key] = generated[key];
  return out;
}

/** connector.json with every field synced from the connection schema. */
export function syncedManifest(
  manifest: { connectionFields: Record<string, unknown>[] },
  schema: { properties: Record<string, SchemaProperty> },
): unknown {
  return {
    ...manifest,
    connectionFields: manifest.connectionFields.map((field) => {
      const property = schema.properties[field.name as string];
      if (!property)
        throw new Error(`connector.json field ${String(field.name)} is not in the schema`);
      return syncField(field, property);
    }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL('../../', import.meta.url);
  const manifestUrl = new URL('connector.json', root);
  const manifest = JSON.parse(readFileSync(manifestUrl, 'utf8'));
  const schema = JSON.parse(readFileSync(new URL(manifest.connectionSchema, root), 'utf8'));
  writeFileSync(manifestUrl, JSON.stringify(syncedManifest(manifest, schema), null, 2) + '\n');
}
