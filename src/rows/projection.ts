import { createRequire } from 'node:module';
import type jsonataType from 'jsonata';
import { makeError } from '../errors.js';

type Expression = ReturnType<typeof jsonataType>;

// Loaded on first use (CommonJS, so synchronously): most reads have no projection.
const requireModule = createRequire(import.meta.url);
let jsonata: typeof jsonataType | undefined;

/** A row transformation compiled once; evaluate() returns undefined for rows it filters out. */
export interface Projection {
  source: string;
  evaluate(row: unknown): Promise<unknown>;
}

const cache = new Map<string, Expression>();

interface JsonataError {
  message?: string;
  position?: number;
  token?: string;
  code?: string;
}

/**
 * Compiles a JSONata `select` (project, rename, compute, filter). The compiled expression is
 * cached by its text.
 * @throws QUERY_INVALID with the position and token where the expression is broken.
 */
export function compileProjection(source: string): Projection {
  let expression = cache.get(source);
  if (!expression) {
    try {
      jsonata ??= requireModule('jsonata') as typeof jsonataType;
      expression = jsonata(source);
    } catch (error) {
      const e = error as JsonataError;
      throw makeError('QUERY_INVALID', `select is not a valid JSONata expression at character ${e.position ?? '?'}: ${e.message ?? 'syntax error'}`, {
        field: '/select',
        details: { position: e.position ?? null, token: e.token ?? null, jsonataCode: e.code ?? null },
      });
    }
    cache.set(source, expression);
  }
  const compiled = expression;
  return {
    source,
    async evaluate(row) {
      try {
        return await compiled.evaluate(row);
      } catch (error) {
        const e = error as JsonataError;
        throw makeError('PROJECTION_FAILED', `select failed on a row: ${e.message ?? 'evaluation error'}`, { field: '/select', details: { position: e.position ?? null, jsonataCode: e.code ?? null } });
      }
    },
  };
}
