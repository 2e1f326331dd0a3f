import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Module → the modules it imports, as paths relative to the scanned root ('sessions/liveSession.ts'). */
export type ImportGraph = Map<string, string[]>;

// Static imports, `import type`, re-exports (`export … from`), side-effect and dynamic imports of
// relative specifiers. Multi-line import lists end in `from '…'`, so the `from` branch finds them.
const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Every .ts file under `dir`, recursively. */
export function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFilesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * The relative imports of every .ts file under `root`, type-only ones included (a type import
 * closes a cycle for the reader as surely as a value import does). A specifier that names no file
 * is kept as written with a `?` prefix so that callers can report it.
 */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of tsFilesUnder(root)) {
    const targets = new Set<string>();
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const resolved = resolveSpecifier(dirname(file), match[1]!);
      targets.add(resolved ? relative(root, resolved) : `?${match[1]}`);
    }
    graph.set(relative(root, file), [...targets]);
  }
  return graph;
}

function resolveSpecifier(fromDir: string, specifier: string): string | undefined {
  const base = resolve(fromDir, specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts'), base];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/**
 * The import cycles of `graph`, each as the path that closes it (`a → b → a`), found by a
 * depth-first search: every back edge yields one cycle, so a graph without cycles yields none and
 * a graph with any cycle yields at least one. Edges to modules outside the graph are ignored.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: string[][] = [];
  // Iterative, so that a long import chain cannot overflow the stack.
  for (const start of [...graph.keys()].sort()) {
    if (state.has(start)) continue;
    const stack: { node: string; next: number }[] = [{ node: start, next: 0 }];
    state.set(start, 'open');
    path.push(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edges = graph.get(top.node) ?? [];
      if (top.next < edges.length) {
        const target = edges[top.next++]!;
        if (!graph.has(target)) continue;
        const seen = state.get(target);
        if (seen === 'open') cycles.push([...path.slice(path.indexOf(target)), target]);
        else if (seen === undefined) {
          state.set(target, 'open');
          path.push(target);
          stack.push({ node: target, next: 0 });
        }
      } else {
        state.set(top.node, 'done');
        path.pop();
        stack.pop();
      }
    }
  }
  return cycles;
}
