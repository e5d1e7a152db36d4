/**
 * The manifest's connection fields as the stream hosts (Airbyte, Singer/Meltano, Node-RED) show
 * them. Every adapter's settings are generated from here, so a field added to connector.json
 * appears in each host without hand edits.
 */
import { isShown } from '../config/display-rule.js';
import { MANIFEST } from '../manifest.js';

export interface ConnectionField {
  name: string;
  label: string;
  type: 'string' | 'text' | 'integer' | 'number' | 'boolean' | 'enum' | 'stringList';
  required: boolean;
  secret: boolean;
  advanced: boolean;
  group: string;
  help: string;
  default?: unknown;
  allowedValues?: string[];
  valueLabels?: Record<string, string>;
  displayOptions?: { show: Record<string, unknown[]> };
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

// Fields about writing, or about the platform's own switches, which a source host has itself.
const NOT_FOR_SOURCES = new Set(['isActive', 'isSource', 'isTarget', 'dedupe']);

export const CONNECTION_FIELDS = MANIFEST.connectionFields as ConnectionField[];

/** The fields a read-only host asks for, in manifest order. */
export function sourceFields(): ConnectionField[] {
  return CONNECTION_FIELDS.filter((field) => !NOT_FOR_SOURCES.has(field.name));
}

/** The label of one allowed value: the manifest's, else the value itself. */
export function valueLabel(field: ConnectionField, value: string): string {
  return field.valueLabels?.[value] ?? value;
}

/**
 * The field other fields' visibility hangs on (authMethod: password, master user or OAuth2),
 * with the fields shown for each of its values. Hosts that cannot show and hide fields render
 * it as one choice per value (Airbyte's oneOf).
 */
export interface FieldSwitch {
  field: ConnectionField;
  /** Fields of the switch's group shown for each value, the switch itself left out. */
  branches: { value: string; fields: ConnectionField[] }[];
}

/**
 * Whether `field` is shown when `switchName` has `value` and every other field its default
 * (the one display rule, config/display-rule.ts; hidden fields are neither required nor sent).
 */
export function shownFor(field: ConnectionField, switchName: string, value: string): boolean {
  return isShown(field, { [switchName]: value }, CONNECTION_FIELDS);
}

/** The switch fields among `fields`: enums that another field's displayOptions names. */
export function fieldSwitches(fields: ConnectionField[]): FieldSwitch[] {
  const named = new Set(fields.flatMap((field) => Object.keys(field.displayOptions?.show ?? {})));
  return fields
    .filter((field) => named.has(field.name) && field.type === 'enum')
    .map((field) => ({
      field,
      branches: (field.allowedValues ?? []).map((value) => ({
        value,
        fields: fields.filter(
          (other) =>
            other !== field && other.group === field.group && shownFor(other, field.name, value),
        ),
      })),
    }));
}
