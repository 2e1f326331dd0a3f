import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import ts from 'typescript';
import { tsFilesUnder } from './importGraph.js';

/** One place over a size limit: a file (`what` undefined) or a function in it. */
export interface Oversize {
  /** `store/traceWriter.ts`, or `store/traceWriter.ts:createTraceWriter` for a function. */
  key: string;
  lines: number;
}

/** A readable name for a function-like node: its own, or the variable/property/method it is assigned to. */
function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name) return named.name.getText(source);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))) return parent.name.getText(source);
  return `<anonymous@${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}>`;
}

/** Files under `root` longer than `maxFileLines`, and functions (of any kind, nested ones too) longer than `maxFunctionLines`. */
export function oversizes(root: string, maxFileLines: number, maxFunctionLines: number): Oversize[] {
  const out: Oversize[] = [];
  for (const file of tsFilesUnder(root)) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(root, file).replace(/\\/g, '/');
    const fileLines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (fileLines > maxFileLines) out.push({ key: rel, lines: fileLines });
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        if (end - start + 1 > maxFunctionLines) out.push({ key: `${rel}:${nameOf(node, source)}`, lines: end - start + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out;
}
