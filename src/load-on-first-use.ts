/**
 * A package loaded the first time it is needed, not when the module that uses it loads: the
 * runtime entry and every CLI command load a long chain of modules, and a package only some of
 * them use (mailparser, jsonata, yaml, csv-parse, Ajv's compiler) should not cost every start.
 * CommonJS through require, so the caller stays synchronous.
 */
import { createRequire } from 'node:module';

const requirePackage = createRequire(import.meta.url);

/** A function that gives `specifier`'s exports, required on its first call. */
export function loadOnFirstUse<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requirePackage(specifier) as T);
}
