/**
 * The exported schemas are for hosts' own validators: they must load in a stock Ajv of either
 * draft, with no options and no warnings, and the draft-07 twins must judge inputs as the
 * 2020-12 originals do. Error hints live in src/schema-hints.ts, keyed by pointers that must
 * still name a node.
 */
import { readdirSync, readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toDraft07 } from '../../scripts/draft07-schemas.js';
import { GENERATED_FILE, validatorsSource } from '../../scripts/generate-validators.js';
import { compile, formatIssues, validateConnectionSchema } from '../../src/validators.js';
import { nodeAt, SCHEMA_HINTS } from '../../src/schema-hints.js';
import { REPO_ROOT } from '../helpers/repo-files.js';

const dir = `${REPO_ROOT}schemas/`;
const files = readdirSync(dir).filter((file) => file.endsWith('.schema.json'));
const load = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8'));

/** A stock validator whose log we keep: a warning is a failure too. */
function stock<T>(make: (logger: object) => T): { ajv: T; log: string[] } {
  const log: string[] = [];
  const record = (...args: unknown[]): number => log.push(args.map(String).join(' '));
  return { ajv: make({ log: record, warn: record, error: record }), log };
}

describe('exported schemas', () => {
  it('lists all ten', () => {
    expect(files.sort()).toEqual([
      'actions.schema.json',
      'batch.schema.json',
      'connection.schema.json',
      'connector.schema.json',
      'cursor.schema.json',
      'deleted-row.schema.json',
      'import.schema.json',
      'query.schema.json',
      'row.schema.json',
      'write.schema.json',
    ]);
  });

  it.each(files)('%s compiles in a stock new Ajv2020(), without a warning', (file) => {
    const { ajv, log } = stock((logger) => new Ajv2020({ logger: logger as never }));
    expect(() => ajv.compile(load(dir + file))).not.toThrow();
    expect(log).toEqual([]);
  });

  it.each(files)('%s has a current draft-07 twin that a stock new Ajv() compiles', (file) => {
    const twin = load(`${dir}draft-07/${file}`);
    expect(twin).toEqual(toDraft07(load(dir + file)));
    const { ajv, log } = stock((logger) => new Ajv.default({ logger: logger as never }));
    expect(() => ajv.compile(twin)).not.toThrow();
    expect(log).toEqual([]);
  });

  it('has the precompiled validators the schemas give (npm run manifest writes them)', () => {
    expect(readFileSync(REPO_ROOT + GENERATED_FILE, 'utf8')).toBe(validatorsSource(REPO_ROOT));
  });

  it('precompiled and run-time compiled validators report the same issues', () => {
    const schema = load(`${dir}connection.schema.json`);
    const compiled = compile('connection.schema.json', schema);
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(undefined));
    const config = fc.record(
      {
        server: fc.oneof(fc.constant('imap.example.com'), fc.string()),
        username: fc.string(),
        port: fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.string()),
        security: value,
        authMethod: fc.constantFrom('password', 'oauth2', 'masterUser', 'other'),
        oauth2TokenUrl: value,
        delayBetweenMessages: fc.oneof(fc.double(), fc.string()),
        dateTimeFormat: fc.string(),
        pageSize: value,
      },
      { requiredKeys: [] },
    );
    let failures = 0;
    fc.assert(
      fc.property(config, (input) => {
        const [a, b] = [structuredClone(input), structuredClone(input)];
        const ok = validateConnectionSchema(a);
        expect(compiled(b)).toBe(ok);
        expect(a).toEqual(b); // the same defaults filled in
        if (!ok) failures++;
        expect(formatIssues(validateConnectionSchema.errors)).toEqual(
          formatIssues(compiled.errors),
        );
      }),
      { numRuns: 500 },
    );
    expect(failures).toBeGreaterThan(100);
  });

  it('draft-07 and 2020-12 agree on random connection configs', () => {
    const modern = new Ajv2020().compile(load(`${dir}connection.schema.json`));
    const old = new Ajv.default().compile(load(`${dir}draft-07/connection.schema.json`));
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(undefined));
    const config = fc.record(
      {
        server: fc.oneof(fc.constant('imap.example.com'), fc.string()),
        username: fc.string(),
        password: fc.string(),
        port: fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.string()),
        security: fc.constantFrom('tls', 'starttls', 'none', 'ssl'),
        authMethod: fc.constantFrom('password', 'masterUser', 'oauth2', 'other'),
        authorizationIdentity: fc.string(),
        oauth2AccessToken: fc.string(),
        delayBetweenMessages: fc.oneof(
          fc.double({ min: -1, max: 4000 }),
          fc.constantFrom('1/2', 'x', '.5'),
        ),
        startDate: fc.constantFrom('2024-01-31', '20240131', 'yesterday'),
        extra: value,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(config, (input) => {
        const clean = JSON.parse(JSON.stringify(input));
        expect(old(structuredClone(clean))).toBe(modern(structuredClone(clean)));
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('keeps no UI keyword in a schema: secret is the standard writeOnly', () => {
    // The manifest's meta-schema describes form fields that have a secret flag: not a keyword there.
    for (const file of files.filter((name) => name !== 'connector.schema.json')) {
      const text = readFileSync(dir + file, 'utf8');
      expect(text, file).not.toMatch(/"(x-hint|secret|advanced)":/);
    }
    const connection = load(`${dir}connection.schema.json`) as {
      properties: Record<string, { writeOnly?: boolean }>;
    };
    const secrets = Object.entries(connection.properties).filter(([, p]) => p.writeOnly);
    expect(secrets.map(([name]) => name).sort()).toEqual([
      'oauth2AccessToken',
      'oauth2ClientSecret',
      'oauth2RefreshToken',
      'password',
    ]);
  });

  it('has one $id host', () => {
    const hosts = new Set(files.map((file) => new URL(String(load(dir + file).$id)).host));
    expect([...hosts]).toEqual(['imap-connector.local']);
  });

  it.each(Object.entries(SCHEMA_HINTS))('every hint of %s names a schema node', (file, hints) => {
    const schema = load(dir + file);
    for (const pointer of Object.keys(hints))
      expect(nodeAt(schema, pointer), pointer).toBeTypeOf('object');
  });
});
