import type { ConnectionField } from './host-fields.js';

/** One manifest field as a JSON Schema property (draft-07 keywords only: Airbyte, Meltano). */
export function jsonSchemaOfField(field: ConnectionField): Record<string, unknown> {
  const property: Record<string, unknown> = { title: field.label, description: field.help };
  switch (field.type) {
    case 'integer':
    case 'number':
    case 'boolean':
      property.type = field.type;
      break;
    case 'enum':
      property.type = 'string';
      property.enum = field.allowedValues;
      break;
    case 'stringList':
      property.type = 'array';
      property.items = { type: 'string' };
      break;
    default:
      property.type = 'string';
  }
  for (const key of ['default', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern'] as const)
    if (field[key] !== undefined) property[key] = field[key];
  return property;
}
