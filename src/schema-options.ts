/**
 * The Ajv options of every schema the connector checks: the precompiled validators
 * (schema-validators.generated.ts, made by scripts/generate-validators.ts) and compile() at run
 * time use the same ones, so both report the same errors.
 */
export const AJV_OPTIONS = {
  allErrors: true,
  useDefaults: true,
  strict: true,
  // if/then branches require properties declared at the top level, which strictRequired rejects.
  strictRequired: false,
  allowUnionTypes: true,
  verbose: true,
} as const;

/** The schemas compiled ahead of time: export name -> file under schemas/. */
export const PRECOMPILED_SCHEMAS = {
  actions: 'actions.schema.json',
  batch: 'batch.schema.json',
  connection: 'connection.schema.json',
  manifest: 'connector.schema.json',
  cursor: 'cursor.schema.json',
  import: 'import.schema.json',
  query: 'query.schema.json',
  row: 'row.schema.json',
  write: 'write.schema.json',
} as const;

/** `import` -> `validateImport`: the generated module's export of one schema. */
export function precompiledExportName(name: string): string {
  return `validate${name[0]!.toUpperCase()}${name.slice(1)}`;
}
