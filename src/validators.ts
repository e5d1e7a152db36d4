/**
 * The connector's validators: its own schemas compiled ahead of time (schema-validators.generated.ts,
 * no compiler at run time), others (the adapters' host inputs) compiled on first use with Ajv;
 * formatIssues() turns either's errors into sentences a person can act on.
 */
import { isDeepStrictEqual } from 'node:util';
import type * as AjvModule from 'ajv/dist/2020.js';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Issue } from './errors.js';
import { fieldName, formatIssues, schemaHints as hints } from './format-issues.js';
import { loadOnFirstUse } from './load-on-first-use.js';
import { addHints, nodeAt } from './schema-hints.js';
import { AJV_OPTIONS, PRECOMPILED_SCHEMAS, precompiledExportName } from './schema-options.js';
import * as precompiled from './schema-validators.generated.js';
import actionsSchema from '../schemas/actions.schema.json' with { type: 'json' };
import connectionSchema from '../schemas/connection.schema.json' with { type: 'json' };
import manifestSchema from '../schemas/connector.schema.json' with { type: 'json' };
import cursorSchema from '../schemas/cursor.schema.json' with { type: 'json' };
import batchSchema from '../schemas/batch.schema.json' with { type: 'json' };
import importSchema from '../schemas/import.schema.json' with { type: 'json' };
import querySchema from '../schemas/query.schema.json' with { type: 'json' };
import rowSchema from '../schemas/row.schema.json' with { type: 'json' };
import writeSchema from '../schemas/write.schema.json' with { type: 'json' };

// Ajv's compiler (90 ms to load) only for a schema that was not compiled ahead of time.
const loadAjv = loadOnFirstUse<typeof AjvModule>('ajv/dist/2020.js');
let ajv: Ajv2020 | undefined;
const compiler = (): Ajv2020 => (ajv ??= new (loadAjv().Ajv2020)(AJV_OPTIONS));
// The schemas use no custom keywords and no formats, so a host's stock Ajv2020 loads them too.

export { formatIssues };

/** A validator with Ajv's call shape. */
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

type Check = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null | undefined };

/**
 * A precompiled validator's errors name its own copies of the schema's nodes: they are pointed
 * at the imported schema's (where the hints are) when the node at the error's schema path is
 * the same; else the copy stays, and only a hint can be missing.
 */
function withOwnNodes(schema: object, errors: ErrorObject[]): ErrorObject[] {
  return errors.map((error) => {
    const pointer = error.schemaPath.replace(/^#/, '').split('/').slice(0, -1).join('/');
    const node = nodeAt(schema, pointer);
    return typeof node === 'object' && node !== null && isDeepStrictEqual(node, error.parentSchema)
      ? { ...error, parentSchema: node }
      : error;
  });
}

/** Ajv's call shape around `check`: the depth limit first, hints recorded on first use. */
function guarded(
  file: string,
  schema: object,
  check: () => Check,
  copiedNodes: boolean,
): Validator {
  let hinted = false;
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
      if (!hinted) {
        addHints(file, schema, hints);
        hinted = true;
      }
      const run = check();
      const ok = run(data);
      validate.errors = copiedNodes && run.errors ? withOwnNodes(schema, run.errors) : run.errors;
      return ok;
    },
    { errors: null as ErrorObject[] | null | undefined },
  );
  return validate;
}

/** A validator of `schema` on the shared Ajv, compiled on first use (adapters check host inputs with it). */
export function compile(file: string, schema: object): Validator {
  let compiled: ValidateFunction | undefined;
  return guarded(file, schema, () => (compiled ??= compiler().compile(schema)), false);
}

const SCHEMAS: Record<keyof typeof PRECOMPILED_SCHEMAS, object> = {
  actions: actionsSchema,
  batch: batchSchema,
  connection: connectionSchema,
  manifest: manifestSchema,
  cursor: cursorSchema,
  import: importSchema,
  query: querySchema,
  row: rowSchema,
  write: writeSchema,
};

/** One of the connector's schemas, compiled ahead of time. */
function precompiledValidator(name: keyof typeof PRECOMPILED_SCHEMAS): Validator {
  const check = (precompiled as Record<string, Check>)[precompiledExportName(name)]!;
  return guarded(PRECOMPILED_SCHEMAS[name], SCHEMAS[name], () => check, true);
}

export const validateConnectionSchema = precompiledValidator('connection');
export const validateManifestSchema = precompiledValidator('manifest');
export const validateQuerySchema = precompiledValidator('query');
export const validateCursorSchema = precompiledValidator('cursor');
export const validateRowSchema = precompiledValidator('row');
export const validateWriteSchema = precompiledValidator('write');
export const validateImportSchema = precompiledValidator('import');
export const validateActionsSchema = precompiledValidator('actions');
export const validateBatchSchema = precompiledValidator('batch');
