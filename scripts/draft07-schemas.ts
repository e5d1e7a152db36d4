/**
 * The exported schemas as draft-07, for hosts whose validator predates 2020-12 (a stock
 * `new Ajv()`, many form libraries). The schemas use only keywords both drafts share, so the
 * conversion is a rename: $schema, $id, and $defs -> definitions with its $refs.
 * `npm run manifest` writes schemas/draft-07/; test/contract/schemas.test.ts checks it is current.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/** One 2020-12 schema -> its draft-07 twin. */
export function toDraft07(schema: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(schema, (key, value: unknown) => {
    if (key === '$ref' && typeof value === 'string')
      return value.replace('#/$defs/', '#/definitions/');
    return value;
  });
  const copy = JSON.parse(text) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(copy)) {
    if (key === '$schema') out.$schema = DRAFT_07;
    else if (key === '$id') out.$id = String(value).replace('/schemas/', '/schemas/draft-07/');
    else if (key === '$defs') out.definitions = value;
    else out[key] = value;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = new URL('../../schemas/', import.meta.url);
  const target = new URL('draft-07/', dir);
  mkdirSync(target, { recursive: true });
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.schema.json'))) {
    const schema = JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
    writeFileSync(new URL(name, target), JSON.stringify(toDraft07(schema), null, 2) + '\n');
  }
}
