/**
 * connector.json is what a host reads without running code; schemas/connection.schema.json is
 * what the runtime validates. They must describe the same fields: names, types, required-ness,
 * defaults, secrets, advanced flags and allowed values. The field table of docs/configuration.md too.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readPackageJson } from '../../src/package-root.js';
import { formatIssues, validateManifestSchema } from '../../src/validators.js';

interface Field {
  name: string;
  label: string;
  type: string;
  required: boolean;
  secret: boolean;
  advanced: boolean;
  help: string;
  default?: unknown;
  allowedValues?: string[];
}
interface Property {
  type: string | string[];
  description: string;
  default?: unknown;
  enum?: string[];
  secret?: boolean;
  advanced?: boolean;
  items?: { type: string };
}

const manifest = readPackageJson<{
  version: string;
  entry: string;
  connectionSchema: string;
  connectionFields: Field[];
  capabilities: Record<string, boolean>;
}>('connector.json');
const schema = readPackageJson<{ required: string[]; properties: Record<string, Property> }>(
  manifest.connectionSchema,
);
const pkg = readPackageJson<{ version: string; main: string }>('package.json');

// Manifest widget type -> the JSON Schema type(s) that may back it.
const SCHEMA_TYPES: Record<string, string[]> = {
  string: ['string'],
  text: ['string'],
  integer: ['integer'],
  number: ['number'],
  boolean: ['boolean'],
  enum: ['string'],
  stringList: ['array'],
};

describe('connector.json', () => {
  it('satisfies the manifest meta-schema', () => {
    const copy = structuredClone(manifest);
    expect(formatIssues(validateManifestSchema(copy) ? [] : validateManifestSchema.errors)).toEqual(
      [],
    );
  });

  it('carries the package version and points at the built entry', () => {
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.entry).toBe(pkg.main.replace(/^\.\//, ''));
  });

  it('declares the same fields as the connection schema, in both directions', () => {
    expect(manifest.connectionFields.map((f) => f.name).sort()).toEqual(
      Object.keys(schema.properties).sort(),
    );
  });

  it.each(manifest.connectionFields.map((f) => [f.name, f] as const))(
    'agrees with the schema on %s',
    (name, field) => {
      const property = schema.properties[name]!;
      const types = Array.isArray(property.type) ? property.type : [property.type];
      expect(types).toEqual(expect.arrayContaining(SCHEMA_TYPES[field.type]!));
      expect(field.required).toBe(schema.required.includes(name));
      expect(field.default).toEqual(property.default);
      expect(field.secret).toBe(property.secret === true);
      expect(field.advanced).toBe(property.advanced === true);
      expect(field.allowedValues).toEqual(property.enum);
      expect(field.help).toBe(property.description);
      if (field.type === 'stringList') expect(property.items?.type).toBe('string');
    },
  );

  it('offers every field a user of import products expects', () => {
    const names = manifest.connectionFields.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'server',
        'port',
        'security',
        'ignoreCertificateErrors',
        'caFile',
        'authMethod',
        'username',
        'password',
        'authorizationIdentity',
        'oauth2AccessToken',
        'oauth2RefreshToken',
        'oauth2ClientId',
        'oauth2ClientSecret',
        'oauth2TokenUrl',
        'timeout',
        'query',
        'isActive',
        'isSource',
        'isTarget',
        'dateTimeFormat',
        'foldersInclude',
        'foldersExclude',
        'startDate',
        'endDate',
        'delayBetweenMessages',
        'maxQueueDepth',
        'pageSize',
      ]),
    );
    expect(
      manifest.connectionFields
        .filter((f) => f.secret)
        .map((f) => f.name)
        .sort(),
    ).toEqual(['oauth2AccessToken', 'oauth2ClientSecret', 'oauth2RefreshToken', 'password']);
  });

  it('claims only the operations the entry module exports', async () => {
    const runtime = (await import('../../src/index.js')) as Record<string, unknown>;
    for (const operation of ['testConnection', 'testQuery', 'discover', 'read', 'write']) {
      expect(typeof runtime[operation] === 'function', operation).toBe(
        manifest.capabilities[operation],
      );
    }
  });

  it('is documented field by field in the table of docs/configuration.md', () => {
    const readme = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const rows = new Map(
      [...readme.matchAll(/^\| `([a-z][A-Za-z0-9]*)` \| ([^|]+) \| ([^|]*) \| ([^|]*) \|/gm)].map(
        (m) => [m[1], { type: m[2]!.trim(), default: m[3]!.trim() }],
      ),
    );
    for (const field of manifest.connectionFields) {
      expect(rows.get(field.name), field.name).toEqual({
        type: field.type,
        default: field.default === undefined ? '' : `\`${JSON.stringify(field.default)}\``,
      });
    }
    expect(rows.size).toBe(manifest.connectionFields.length);
  });
});
