/**
 * Size and shape of src/, measured with the TypeScript compiler API (issue 10): files over 250
 * lines, functions over 40 lines, functions with more than 5 parameters, lines over the
 * configured print width, `as` casts and non-null assertions. `npm run metrics [-- DIR]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = process.argv[2] ?? 'src';
const WIDTH = 100;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? files(path)
      : path.endsWith('.ts') && !path.endsWith('.d.ts')
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

const totals: Totals = {
  files: 0,
  lines: 0,
  longFiles: [],
  longFunctions: [],
  manyParameters: [],
  wideLines: 0,
  casts: 0,
  nonNull: 0,
};

for (const path of files(root)) {
  const text = readFileSync(path, 'utf8');
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const lines = text.split('\n');
  const name = relative('.', path);
  totals.files++;
  totals.lines += lines.length;
  totals.wideLines += lines.filter((line) => line.length > WIDTH).length;
  if (lines.length > 250) totals.longFiles.push(`${name} (${lines.length})`);
  const visit = (node: ts.Node): void => {
    if (
      ts.isAsExpression(node) &&
      !(ts.isTypeReferenceNode(node.type) && node.type.getText() === 'const')
    )
      totals.casts++;
    if (ts.isNonNullExpression(node)) totals.nonNull++;
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.end).line;
      const label = `${name}:${start + 1} ${ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) ? (node.name?.getText() ?? '(anonymous)') : '(function)'}`;
      if (end - start + 1 > 40) totals.longFunctions.push(`${label} (${end - start + 1} lines)`);
      if (node.parameters.length > 5)
        totals.manyParameters.push(`${label} (${node.parameters.length} parameters)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

const report = {
  files: totals.files,
  lines: totals.lines,
  filesOver250Lines: totals.longFiles.length,
  functionsOver40Lines: totals.longFunctions.length,
  functionsOver5Parameters: totals.manyParameters.length,
  linesOverWidth: totals.wideLines,
  casts: totals.casts,
  nonNullAssertions: totals.nonNull,
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
if (process.argv.includes('--list'))
  process.stdout.write(
    [...totals.longFiles, ...totals.longFunctions, ...totals.manyParameters].join('\n') + '\n',
  );
