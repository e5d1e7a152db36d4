import type jsonataType from 'jsonata';
import { makeError } from '../errors.js';
import { loadOnFirstUse } from '../load-on-first-use.js';

type Expression = ReturnType<typeof jsonataType>;

// Most reads have no projection.
const loadJsonata = loadOnFirstUse<typeof jsonataType>('jsonata');

/** A row transformation compiled once; evaluate() returns undefined for rows it filters out. */
export interface Projection {
  source: string;
  evaluate(row: unknown): Promise<unknown>;
  /** What the expression reads and builds at its top level, for discover's typo warnings. */
  outline(): ProjectionOutline;
}

/** The top level of a projection: the keys of its object constructor, the row fields its paths start at. */
export interface ProjectionOutline {
  keys: string[];
  fields: string[];
}

interface AstNode {
  type?: string;
  value?: unknown;
  steps?: AstNode[];
  lhs?: [AstNode, AstNode][];
}

/** First step of a path (`from.address` -> from), the field of the row it reads. */
function firstField(node: AstNode | undefined): string[] {
  const first = node?.type === 'path' ? node.steps?.[0] : node;
  return first?.type === 'name' && typeof first.value === 'string' ? [first.value] : [];
}

function outlineOf(ast: AstNode): ProjectionOutline {
  if (ast.type === 'unary' && ast.value === '{' && Array.isArray(ast.lhs)) {
    return {
      keys: ast.lhs.flatMap(([key]) => (key.type === 'string' ? [String(key.value)] : [])),
      fields: ast.lhs.flatMap(([, value]) => firstField(value)),
    };
  }
  return { keys: [], fields: firstField(ast) };
}

const cache = new Map<string, Expression>();

// Bounds on one evaluation besides time: recursion depth and sequence length (JSONata's own
// guardrails, D1011 and D2015), so a recursive or exploding expression ends with an error.
const MAX_STACK_DEPTH = 500;
const MAX_SEQUENCE = 1_000_000;
/** Default time budget of one evaluation when the caller gives none (the connection default). */
export const DEFAULT_PROJECTION_TIMEOUT_MS = 30_000;

interface JsonataError {
  message?: string;
  position?: number;
  token?: string;
  code?: string;
}

/**
 * Compiles a JSONata `select` (project, rename, compute, filter). The compiled expression is
 * cached by its text and budget. Each evaluation ends within `timeoutMs` (checked at every
 * step of the expression), so a recursive projection cannot run forever (issue 9).
 * @throws QUERY_INVALID with the position and token where the expression is broken.
 */
export function compileProjection(
  source: string,
  timeoutMs = DEFAULT_PROJECTION_TIMEOUT_MS,
): Projection {
  const key = `${timeoutMs}\n${source}`;
  let expression = cache.get(key);
  if (!expression) {
    try {
      expression = loadJsonata()(source, {
        timeout: timeoutMs,
        stack: MAX_STACK_DEPTH,
        sequence: MAX_SEQUENCE,
      } as never);
    } catch (error) {
      const e = error as JsonataError;
      throw makeError(
        'QUERY_INVALID',
        `select is not a valid JSONata expression at character ${e.position ?? '?'}: ${e.message ?? 'syntax error'}`,
        {
          field: '/select',
          details: {
            position: e.position ?? null,
            token: e.token ?? null,
            jsonataCode: e.code ?? null,
          },
        },
      );
    }
    cache.set(key, expression);
  }
  const compiled = expression;
  return {
    source,
    outline: () => outlineOf(compiled.ast() as AstNode),
    async evaluate(row) {
      try {
        return await compiled.evaluate(row);
      } catch (error) {
        const e = error as JsonataError;
        const why =
          e.code === 'D1012'
            ? `it ran longer than ${timeoutMs} ms`
            : e.code === 'D1011'
              ? 'it recursed too deeply'
              : (e.message ?? 'evaluation error');
        throw makeError('PROJECTION_FAILED', `select failed on a row: ${why}`, {
          field: '/select',
          details: { position: e.position ?? null, jsonataCode: e.code ?? null },
        });
      }
    },
  };
}
