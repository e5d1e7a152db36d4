/**
 * When a connection field is shown (the manifest's `displayOptions.show`): for every field it
 * names, that field's value, or its default when it has none, is one of the values listed. The
 * one rule of every form: the hosts' settings (adapters/host-fields.ts), the console page, the
 * Node-RED runtime and editor. The page and Node-RED get a generated copy of this function
 * (scripts/sync-host-files.ts; test/contract/host-forms.test.ts checks the copies are current),
 * so it uses nothing but the language: no import, no TypeScript-only syntax at run time.
 */

/** What the rule reads of a field. */
export interface DisplayField {
  name: string;
  default?: unknown;
  displayOptions?: { show: Record<string, readonly unknown[]> };
}

/** Whether `field` is shown for these values (a value '' or missing is the field's default). */
export function isShown(
  field: DisplayField,
  values: Record<string, unknown>,
  fields: readonly DisplayField[],
): boolean {
  const show = field.displayOptions && field.displayOptions.show;
  if (!show) return true;
  return Object.keys(show).every((other) => {
    let value = values[other];
    if (value === undefined || value === null || value === '') {
      const described = fields.find((candidate) => candidate.name === other);
      value = described ? described.default : undefined;
    }
    return show[other]!.includes(value);
  });
}
