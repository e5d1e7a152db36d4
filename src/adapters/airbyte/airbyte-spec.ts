/**
 * The Airbyte SPEC: connectionSpecification generated from connector.json in Airbyte's
 * dialect (draft-07, airbyte_secret, order, multiline, and a oneOf per login method, since
 * Airbyte's form cannot show a field depending on another one).
 */
import { CONNECTOR_VERSION, MANIFEST } from '../../manifest.js';
import {
  fieldSwitches,
  sourceFields,
  valueLabel,
  type ConnectionField,
  type FieldSwitch,
} from '../host-fields.js';
import { jsonSchemaOfField } from '../json-schema-of-field.js';

function airbyteProperty(field: ConnectionField, order: number): Record<string, unknown> {
  const property = jsonSchemaOfField(field);
  property.order = order;
  if (field.secret) property.airbyte_secret = true;
  if (field.type === 'text') property.multiline = true;
  return property;
}

function requiredOf(fields: ConnectionField[]): string[] {
  return fields.filter((field) => field.required).map((field) => field.name);
}

/** A switch as one object property: one oneOf branch per value, with that value's fields. */
function switchProperty(choice: FieldSwitch, order: number): Record<string, unknown> {
  const { field } = choice;
  return {
    title: field.label,
    description: field.help,
    type: 'object',
    order,
    oneOf: choice.branches.map(({ value, fields }) => ({
      title: valueLabel(field, value),
      type: 'object',
      required: [field.name, ...requiredOf(fields)],
      properties: {
        [field.name]: { type: 'string', const: value, order: 0 },
        ...Object.fromEntries(fields.map((f, i) => [f.name, airbyteProperty(f, i + 1)])),
      },
    })),
  };
}

/** The property name of a switch's object in the config: its group (authentication). */
export function switchGroupName(choice: FieldSwitch): string {
  return choice.field.group;
}

/** The sources' connection fields split into plain top-level ones and switched groups. */
export function airbyteLayout(): { plain: ConnectionField[]; switches: FieldSwitch[] } {
  const fields = sourceFields();
  const switches = fieldSwitches(fields);
  const grouped = new Set(switches.map((choice) => choice.field.group));
  return { plain: fields.filter((field) => !grouped.has(field.group)), switches };
}

export function connectionSpecification(): Record<string, unknown> {
  const { plain, switches } = airbyteLayout();
  const properties: Record<string, unknown> = {};
  let order = 0;
  // In manifest order; a switch's group becomes one object where its first field stood.
  for (const field of sourceFields()) {
    const choice = switches.find((s) => s.field.group === field.group);
    if (!choice) properties[field.name] = airbyteProperty(field, order++);
    else if (!(switchGroupName(choice) in properties))
      properties[switchGroupName(choice)] = switchProperty(choice, order++);
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `${MANIFEST.name} source (imap-connector ${CONNECTOR_VERSION})`,
    type: 'object',
    required: [...requiredOf(plain), ...switches.map(switchGroupName)],
    additionalProperties: true,
    properties,
  };
}

/** The ConnectorSpecification of the SPEC message. */
export function airbyteSpec(): Record<string, unknown> {
  return {
    documentationUrl: MANIFEST.documentationUrl,
    connectionSpecification: connectionSpecification(),
    supportsIncremental: true,
    supported_destination_sync_modes: ['overwrite', 'append', 'append_dedup'],
  };
}
