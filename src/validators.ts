/**
 * The one Ajv instance. Every schema under schemas/ is compiled once, here, and exposed as a
 * named validator; formatIssues() turns Ajv's errors into sentences a person can act on.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Issue } from './errors.js';
import { didYouMean } from './did-you-mean.js';
import { addHints } from './schema-hints.js';
import actionsSchema from '../schemas/actions.schema.json' with { type: 'json' };
import connectionSchema from '../schemas/connection.schema.json' with { type: 'json' };
import manifestSchema from '../schemas/connector.schema.json' with { type: 'json' };
import cursorSchema from '../schemas/cursor.schema.json' with { type: 'json' };
import batchSchema from '../schemas/batch.schema.json' with { type: 'json' };
import importSchema from '../schemas/import.schema.json' with { type: 'json' };
import querySchema from '../schemas/query.schema.json' with { type: 'json' };
import rowSchema from '../schemas/row.schema.json' with { type: 'json' };
import writeSchema from '../schemas/write.schema.json' with { type: 'json' };

const ajv = new Ajv2020({
  allErrors: true,
  useDefaults: true,
  strict: true,
  // if/then branches require properties declared at the top level, which strictRequired rejects.
  strictRequired: false,
  allowUnionTypes: true,
  verbose: true,
});
// The schemas use no custom keywords and no formats, so a host's stock Ajv2020 loads them too.

/** Schema node -> plain-language hint, across every compiled schema. */
const hints = new WeakMap<object, string>();

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

/** A validator of `schema` on the shared Ajv, compiled on first use (adapters check host inputs with it). */
export function compile(file: string, schema: object): Validator {
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
      if (!compiled) {
        addHints(file, schema, hints);
        compiled = ajv.compile(schema);
      }
      const ok = compiled(data);
      validate.errors = compiled.errors;
      return ok;
    },
    { errors: null as ErrorObject[] | null | undefined },
  );
  return validate;
}

export const validateConnectionSchema = compile('connection.schema.json', connectionSchema);
export const validateManifestSchema = compile('connector.schema.json', manifestSchema);

const MAX_ECHO_CHARS = 60;

function echo(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_ECHO_CHARS ? text.slice(0, MAX_ECHO_CHARS) + '...' : text;
}

function fieldName(pointer: string): string {
  return pointer.replace(/^\//, '') || '(config)';
}

interface SchemaNode {
  writeOnly?: boolean;
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
  const hint = hints.get(parent);
  const field = error.instancePath;
  const name = fieldName(field);
  // A secret's value is never repeated back, not even a wrong one.
  const got = parent.writeOnly ? '' : `, got ${echo(error.data)}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const when = /allOf\/\d+\/then/.test(error.schemaPath) ? ` ${hint ?? ''}` : '';
      return { field: `${field}/${missing}`, message: `${missing} is required${when}`.trimEnd() };
    }
    case 'oneOf':
      return hint
        ? { field: field || '/', message: hint }
        : { field, message: `${name} ${error.message ?? 'is invalid'}` };
    case 'anyOf': {
      const branches = (parent as { anyOf?: { type?: unknown }[] }).anyOf ?? [];
      const types = branches.map((branch) => branch.type).filter((type) => type !== undefined);
      // Branches of required fields: the hint is the whole sentence.
      if (types.length === 0)
        return { field: field || '/', message: hint ?? `${name} ${error.message}` };
      return { field, message: `${name} must be ${hint ?? describeType(types)}${got}` };
    }
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
        message: `${name} must be ${hint ?? `in format ${String(params.format ?? params.pattern)}`}${got}`,
      };
    case 'minLength':
      return { field, message: `${name} must not be empty` };
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const known = Object.keys(parent.properties ?? {});
      return {
        field: `${field}/${extra}`,
        message: `${extra} is not a known field${didYouMean(extra, known)}`,
      };
    }
    case 'if':
      return undefined;
    default:
      return { field, message: `${name} ${error.message ?? 'is invalid'}` };
  }
}

/**
 * The errors worth reporting of an anyOf: when the value has the type of one branch (a number
 * for "a number 0-3600 or a fraction text"), that branch's own errors say most; otherwise the
 * anyOf's one summary. Branches of required-field alternatives always give way to the summary.
 */
function pickAnyOfErrors(errors: ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  // A oneOf is summed up only where a hint says what it wants (destination: archive or imap);
  // elsewhere (a query criterion, one branch per key) the branches' own errors are clearer.
  const summed = (e: ErrorObject): boolean =>
    e.keyword === 'anyOf' || (e.keyword === 'oneOf' && hints.has((e.parentSchema ?? {}) as object));
  for (const anyOf of errors.filter(summed)) {
    const prefix = `${anyOf.schemaPath}/`;
    const inside = errors.filter((error) => error.schemaPath.startsWith(prefix));
    const branchOf = (error: ErrorObject): string =>
      error.schemaPath.slice(prefix.length).split('/')[0]!;
    const mistyped = new Set(inside.filter((e) => e.keyword === 'type').map(branchOf));
    const typed = inside.filter((error) => !mistyped.has(branchOf(error)));
    const hasTypes = inside.some((error) => error.keyword === 'type') || mistyped.size > 0;
    if (hasTypes && typed.length > 0 && typed.every((e) => e.keyword !== 'required')) {
      dropped.add(anyOf);
      inside.filter((error) => mistyped.has(branchOf(error))).forEach((e) => dropped.add(e));
    } else {
      inside.forEach((error) => dropped.add(error));
    }
  }
  return errors.filter((error) => !dropped.has(error));
}

/** Ajv errors -> issues, one per problem, each naming its field (JSON Pointer). */
export function formatIssues(errors: ErrorObject[] | null | undefined): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  for (const error of pickAnyOfErrors(errors ?? [])) {
    const issue = sentence(error);
    if (!issue) continue;
    const key = issue.field + '\u0000' + issue.message;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

export const validateQuerySchema = compile('query.schema.json', querySchema);
export const validateCursorSchema = compile('cursor.schema.json', cursorSchema);
export const validateRowSchema = compile('row.schema.json', rowSchema);
export const validateWriteSchema = compile('write.schema.json', writeSchema);
export const validateImportSchema = compile('import.schema.json', importSchema);
export const validateActionsSchema = compile('actions.schema.json', actionsSchema);
export const validateBatchSchema = compile('batch.schema.json', batchSchema);
