/**
 * The one Ajv instance. Every schema under schemas/ is compiled once, here, and exposed as a
 * named validator; formatIssues() turns Ajv's errors into sentences a person can act on.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import type { Issue } from './errors.js';
import { readPackageJson } from './package-root.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the callable sits on .default.
const addFormats = ajvFormats.default.default;

const ajv = new Ajv2020({
  allErrors: true,
  useDefaults: true,
  strict: true,
  // if/then branches require properties declared at the top level, which strictRequired rejects.
  strictRequired: false,
  allowUnionTypes: true,
  verbose: true,
});
addFormats(ajv);
// UI-only keywords of our schemas: declared so strict mode accepts them instead of being off.
ajv.addVocabulary(['secret', 'advanced', 'x-hint']);

/** A validator with Ajv's call shape, compiled on first use: compiling every schema at load time cost a CLI start about 0.4 s. */
export interface Validator {
  (data: unknown): boolean;
  errors: ErrorObject[] | null | undefined;
}

/** How deep any input may nest: beyond what a config, cursor or query needs (a text query may nest 100 NOTs, two levels each). */
export const MAX_INPUT_DEPTH = 256;

/**
 * The JSON Pointer of the first place an input nests deeper than `max` levels, or undefined.
 * Iterative, so a hostile input of 100,000 levels cannot overflow the stack the way
 * structuredClone and a recursive validator would (issue 9).
 */
export function tooDeepAt(value: unknown, max = MAX_INPUT_DEPTH): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: node, path, depth } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= max) return path || '/';
    for (const [key, child] of Object.entries(node))
      stack.push({ value: child, path: `${path}/${key}`, depth: depth + 1 });
  }
  return undefined;
}

/** The issue for an input nested too deeply, naming where. */
export function depthIssue(pointer: string): Issue {
  return {
    field: pointer.split('/').slice(0, 4).join('/') || '/',
    message: `${fieldName(pointer.split('/').slice(0, 4).join('/'))} is nested more than ${MAX_INPUT_DEPTH} levels deep`,
  };
}

function compile(path: string): Validator {
  let compiled: ValidateFunction | undefined;
  const validate: Validator = Object.assign(
    (data: unknown): boolean => {
      const deep = tooDeepAt(data);
      if (deep !== undefined) {
        validate.errors = [
          {
            instancePath: depthIssue(deep).field,
            keyword: 'maxDepth',
            schemaPath: '#',
            params: {},
            message: `is nested more than ${MAX_INPUT_DEPTH} levels deep`,
          },
        ];
        return false;
      }
      compiled ??= ajv.compile(readPackageJson<object>(path));
      const ok = compiled(data);
      validate.errors = compiled.errors;
      return ok;
    },
    { errors: null as ErrorObject[] | null | undefined },
  );
  return validate;
}

export const validateConnectionSchema = compile('schemas/connection.schema.json');
export const validateManifestSchema = compile('schemas/connector.schema.json');

const MAX_ECHO_CHARS = 60;

function echo(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_ECHO_CHARS ? text.slice(0, MAX_ECHO_CHARS) + '...' : text;
}

function fieldName(pointer: string): string {
  return pointer.replace(/^\//, '') || '(config)';
}

/** Edit distance, for "did you mean" on unknown fields. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length]!;
}

/** ` (did you mean "x"?)` for a near miss among the known names, else an empty string. */
export function didYouMean(name: string, known: string[]): string {
  return suggest(name, known);
}

function suggest(name: string, known: string[]): string {
  const best = known
    .map((k) => ({ k, d: distance(name.toLowerCase(), k.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(1, Math.floor(name.length / 3))
    ? ` (did you mean "${best.k}"?)`
    : '';
}

interface SchemaNode {
  secret?: boolean;
  'x-hint'?: string;
  minimum?: number;
  maximum?: number;
  type?: string | string[];
  properties?: Record<string, unknown>;
  description?: string;
}

function describeType(type: unknown): string {
  const list = Array.isArray(type) ? type : [type];
  return list.map((t) => (t === 'integer' ? 'a whole number' : `a ${String(t)}`)).join(' or ');
}

/** One sentence per Ajv error; undefined for errors another message already covers. */
function sentence(error: ErrorObject): Issue | undefined {
  const parent = (error.parentSchema ?? {}) as SchemaNode;
  const field = error.instancePath;
  const name = fieldName(field);
  // A secret's value is never repeated back, not even a wrong one.
  const got = parent.secret ? '' : `, got ${echo(error.data)}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      if (error.schemaPath.includes('/anyOf/')) return undefined;
      const missing = String(params.missingProperty);
      const when = /allOf\/\d+\/then/.test(error.schemaPath) ? ` ${parent['x-hint'] ?? ''}` : '';
      return { field: `${field}/${missing}`, message: `${missing} is required${when}`.trimEnd() };
    }
    case 'anyOf':
      return { field: field || '/', message: parent['x-hint'] ?? `${name} ${error.message}` };
    case 'minimum':
    case 'maximum':
      if (parent.minimum !== undefined && parent.maximum !== undefined) {
        return { field, message: `${name} must be ${parent.minimum}-${parent.maximum}${got}` };
      }
      return { field, message: `${name} ${error.message}${got}` };
    case 'type':
      return { field, message: `${name} must be ${describeType(params.type)}${got}` };
    case 'enum':
      return {
        field,
        message: `${name} must be one of ${(params.allowedValues as unknown[]).join(', ')}${got}`,
      };
    case 'pattern':
    case 'format':
      return {
        field,
        message: `${name} must be ${parent['x-hint'] ?? `in format ${String(params.format ?? params.pattern)}`}${got}`,
      };
    case 'minLength':
      return { field, message: `${name} must not be empty` };
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const known = Object.keys(parent.properties ?? {});
      return {
        field: `${field}/${extra}`,
        message: `${extra} is not a known field${suggest(extra, known)}`,
      };
    }
    case 'if':
      return undefined;
    default:
      return { field, message: `${name} ${error.message ?? 'is invalid'}` };
  }
}

/** Ajv errors -> issues, one per problem, each naming its field (JSON Pointer). */
export function formatIssues(errors: ErrorObject[] | null | undefined): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    const issue = sentence(error);
    if (!issue) continue;
    const key = issue.field + '\u0000' + issue.message;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

export const validateQuerySchema = compile('schemas/query.schema.json');
export const validateCursorSchema = compile('schemas/cursor.schema.json');
export const validateRowSchema = compile('schemas/row.schema.json');
export const validateWriteSchema = compile('schemas/write.schema.json');
export const validateImportSchema = compile('schemas/import.schema.json');
