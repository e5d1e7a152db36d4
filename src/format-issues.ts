/**
 * Ajv's errors -> issues a person can act on: one sentence per problem, naming its field, with
 * the schema's plain-language hints (schema-hints.ts) where a keyword alone says too little.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { didYouMean } from './did-you-mean.js';
import type { Issue } from './errors.js';

/** Schema node -> plain-language hint, across every schema validated (validators.ts fills it). */
export const schemaHints = new WeakMap<object, string>();

const MAX_ECHO_CHARS = 60;

function echo(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_ECHO_CHARS ? text.slice(0, MAX_ECHO_CHARS) + '...' : text;
}

export function fieldName(pointer: string): string {
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
  const hint = schemaHints.get(parent);
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
    e.keyword === 'anyOf' ||
    (e.keyword === 'oneOf' && schemaHints.has((e.parentSchema ?? {}) as object));
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
