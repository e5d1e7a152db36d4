/**
 * connector.json is what a host reads without running code; schemas/connection.schema.json is
 * what the runtime validates. They must describe the same fields: names, types, required-ness,
 * defaults, secrets, advanced flags and allowed values. The field table of docs/configuration.md too.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readRepoJson as readPackageJson } from '../helpers/repo-files.js';
import { syncedManifest, syncField } from '../../scripts/sync-manifest.js';
import {
  formatIssues,
  validateConnectionSchema,
  validateManifestSchema,
} from '../../src/validators.js';

interface Field {
  name: string;
  label: string;
  type: string;
  group: string;
  required: boolean;
  secret: boolean;
  advanced: boolean;
  help: string;
  default?: unknown;
  allowedValues?: string[];
  displayOptions?: { show: Record<string, unknown[]> };
}
interface Property {
  type?: string | string[];
  anyOf?: { type: string }[];
  description: string;
  default?: unknown;
  enum?: string[];
  items?: { type: string };
}

const manifest = readPackageJson<{
  version: string;
  entry: string;
  connectionSchema: string;
  groups: { id: string }[];
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
      const types = property.anyOf
        ? property.anyOf.map((branch) => branch.type)
        : [property.type].flat();
      expect(types).toEqual(expect.arrayContaining(SCHEMA_TYPES[field.type]!));
      // Help, secret, default, allowed values, limits and pattern are generated (npm run manifest).
      expect(field).toEqual(syncField(field as unknown as Record<string, unknown>, property));
      if (field.type === 'stringList') expect(property.items?.type).toBe('string');
      expect(manifest.groups.map((g) => g.id)).toContain(field.group);
      // Always required in the schema <=> required with no condition on when it shows.
      if (schema.required.includes(name))
        expect([field.required, field.displayOptions]).toEqual([true, undefined]);
    },
  );

  it('draws a form whose visible required fields are exactly what the schema needs, per authMethod', () => {
    const defaults = Object.fromEntries(
      manifest.connectionFields
        .filter((f) => f.default !== undefined)
        .map((f) => [f.name, f.default]),
    );
    const shows = (field: Field, values: Record<string, unknown>): boolean =>
      Object.entries(field.displayOptions?.show ?? {}).every(([other, allowed]) =>
        allowed.includes(values[other] ?? defaults[other]),
      );
    const SAMPLE: Record<string, unknown> = {
      server: 'imap.example.com',
      username: 'u',
      password: 'p',
      authorizationIdentity: 'other',
      oauth2AccessToken: 'token',
    };
    for (const authMethod of [undefined, 'password', 'masterUser', 'oauth2']) {
      const chosen = authMethod === undefined ? {} : { authMethod };
      const visibleRequired = manifest.connectionFields.filter(
        (f) => f.required && shows(f, chosen),
      );
      const config = {
        ...chosen,
        ...Object.fromEntries(visibleRequired.map((f) => [f.name, SAMPLE[f.name]])),
      };
      if (authMethod === 'oauth2') Object.assign(config, { oauth2AccessToken: 'token' });
      expect(
        formatIssues(
          validateConnectionSchema(structuredClone(config)) ? [] : validateConnectionSchema.errors,
        ),
        JSON.stringify(config),
      ).toEqual([]);
      for (const field of visibleRequired) {
        const without = { ...config } as Record<string, unknown>;
        delete without[field.name];
        expect(validateConnectionSchema(without), `${authMethod} without ${field.name}`).toBe(
          false,
        );
      }
      // A hidden field is never needed: the OAuth2 and master-user fields stay out of a password login.
      const hidden = manifest.connectionFields.filter((f) => !shows(f, chosen)).map((f) => f.name);
      if (authMethod !== 'oauth2')
        expect(hidden).toEqual(expect.arrayContaining(['oauth2AccessToken', 'oauth2TokenUrl']));
      if (authMethod === 'oauth2')
        expect(hidden).toEqual(expect.arrayContaining(['password', 'authorizationIdentity']));
    }
  });

  it('has no port default, so STARTTLS gets 143; the placeholder says which port', () => {
    const port = manifest.connectionFields.find((f) => f.name === 'port') as Field & {
      placeholder: { values: Record<string, string> };
    };
    expect(port.default).toBeUndefined();
    expect(port.placeholder.values).toEqual({ tls: '993', starttls: '143', none: '143' });
  });

  it('is in sync with the schema as npm run manifest writes it', () => {
    expect(syncedManifest(manifest as never, schema as never)).toEqual(manifest);
  });

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
