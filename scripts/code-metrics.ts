/**
 * Size and shape of src/, measured with the TypeScript compiler API (issue 10): files over 250
 * lines, functions over 40 lines, functions with more than 5 parameters, lines over the
 * configured print width, `as` casts and non-null assertions. The console's browser code
 * (src/console/static/*.js) counts too, and is also reported on its own (issue 25).
 * `npm run metrics [-- DIR] [--list]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'src';
const WIDTH = 100;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? files(path)
      : // Generated code (the precompiled validators) is not written by hand.
        (path.endsWith('.ts') && !path.endsWith('.d.ts') && !path.endsWith('.generated.ts')) ||
          path.endsWith('.js')
        ? [path]
        : [];
  });
}

interface Totals {
  files: number;
  lines: number;
  longFiles: string[];
  longFunctions: string[];
  manyParameters: string[];
  wideLines: number;
  casts: number;
  nonNull: number;
}

const empty = (): Totals => ({
  files: 0,
  lines: 0,
  longFiles: [],
  longFunctions: [],
  manyParameters: [],
  wideLines: 0,
  casts: 0,
  nonNull: 0,
});
const totals = empty();
// The browser's modules, plain ES modules without a build step.
const browser = empty();

function measure(path: string, into: Totals[]): void {
  const text = readFileSync(path, 'utf8');
  const kind = path.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind);
  const lines = text.split('\n');
  const name = relative('.', path);
  const long = (list: 'longFiles' | 'longFunctions' | 'manyParameters', entry: string): void => {
    for (const t of into) t[list].push(entry);
  };
  for (const t of into) {
    t.files++;
    t.lines += lines.length;
    t.wideLines += lines.filter((line) => line.length > WIDTH).length;
  }
  if (lines.length > 250) long('longFiles', `${name} (${lines.length})`);
  const visit = (node: ts.Node): void => {
    if (
      ts.isAsExpression(node) &&
      !(ts.isTypeReferenceNode(node.type) && node.type.getText() === 'const')
    )
      for (const t of into) t.casts++;
    if (ts.isNonNullExpression(node)) for (const t of into) t.nonNull++;
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.end).line;
      const label = `${name}:${start + 1} ${ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) ? (node.name?.getText() ?? '(anonymous)') : '(function)'}`;
      if (end - start + 1 > 40) long('longFunctions', `${label} (${end - start + 1} lines)`);
      if (node.parameters.length > 5)
        long('manyParameters', `${label} (${node.parameters.length} parameters)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

for (const path of files(root)) measure(path, path.endsWith('.js') ? [totals, browser] : [totals]);

const summary = (t: Totals) => ({
  files: t.files,
  lines: t.lines,
  filesOver250Lines: t.longFiles.length,
  functionsOver40Lines: t.longFunctions.length,
  functionsOver5Parameters: t.manyParameters.length,
  linesOverWidth: t.wideLines,
  casts: t.casts,
  nonNullAssertions: t.nonNull,
});

const report = { ...summary(totals), browserJs: summary(browser) };
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
if (process.argv.includes('--list'))
  process.stdout.write(
    [...totals.longFiles, ...totals.longFunctions, ...totals.manyParameters].join('\n') + '\n',
  );
