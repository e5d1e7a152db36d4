/**
 * The tap's settings for Meltano and for --about, generated from connector.json: a new
 * connection field appears in meltano.yml without a hand edit. Secrets are `kind: password`,
 * so Meltano keeps them out of meltano.yml and masks them.
 */
import { CONNECTOR_VERSION, MANIFEST } from '../../manifest.js';
import { sourceFields, valueLabel, type ConnectionField } from '../host-fields.js';
import { jsonSchemaOfField } from '../json-schema-of-field.js';

export const TAP_NAME = 'tap-imap-connector';
export const CAPABILITIES = ['catalog', 'discover', 'state', 'about'];

function kindOf(field: ConnectionField): string {
  if (field.secret) return 'password';
  switch (field.type) {
    case 'integer':
    case 'number':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case 'enum':
      return 'options';
    case 'stringList':
      return 'array';
    default:
      return 'string';
  }
}

export function meltanoSettings(): Record<string, unknown>[] {
  return sourceFields().map((field) => ({
    name: field.name,
    label: field.label,
    description: field.help,
    kind: kindOf(field),
    ...(field.default !== undefined && !field.secret ? { value: field.default } : {}),
    ...(field.type === 'enum'
      ? {
          options: (field.allowedValues ?? []).map((value) => ({
            label: valueLabel(field, value),
            value,
          })),
        }
      : {}),
    ...(field.secret ? { sensitive: true } : {}),
  }));
}

/** The custom extractor entry of meltano.yml (plugins.extractors[]). */
export function meltanoExtractor(executable = 'imap-connector-singer'): Record<string, unknown> {
  return {
    name: TAP_NAME,
    namespace: 'tap_imap_connector',
    label: MANIFEST.name,
    description: MANIFEST.description,
    executable,
    capabilities: CAPABILITIES,
    settings: meltanoSettings(),
  };
}

/** --about: what the Meltano SDK's taps print, settings as one JSON Schema. */
export function aboutTap(): Record<string, unknown> {
  const fields = sourceFields();
  return {
    name: TAP_NAME,
    description: MANIFEST.description,
    version: CONNECTOR_VERSION,
    capabilities: CAPABILITIES,
    settings: {
      type: 'object',
      properties: Object.fromEntries(
        fields.map((field) => {
          const property = jsonSchemaOfField(field);
          if (field.secret) property.writeOnly = true;
          return [field.name, property];
        }),
      ),
      // Required whatever else is chosen; a field shown only for some choices is not.
      required: fields.filter((f) => f.required && !f.displayOptions).map((f) => f.name),
    },
  };
}
