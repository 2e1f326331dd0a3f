import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oversizes } from './codeSizes.js';
import { findCycles, importGraph, tsFilesUnder, type ImportGraph } from './importGraph.js';

// DESIGN section 3: which layer may import which. server.ts, cli.ts, index.ts and commands wire everything.
const allowed: Record<string, string[]> = {
  core: [],
  store: ['core'],
  instrumentation: ['core'],
  sessions: ['core', 'store', 'instrumentation'],
  catalog: ['core', 'store', 'instrumentation', 'sessions'],
  otel: ['core', 'store', 'instrumentation', 'sessions'],
  proxy: ['core', 'store', 'instrumentation', 'sessions', 'catalog'],
  tools: ['core', 'store', 'instrumentation', 'sessions', 'catalog'],
  resources: ['core', 'store', 'instrumentation', 'sessions', 'catalog'],
  prompts: ['core', 'store', 'instrumentation', 'sessions', 'catalog'],
  http: ['core', 'store', 'instrumentation', 'sessions', 'catalog', 'otel'],
};

// commands/ sit above every layer and the root modules; only cli.ts (which picks a command) is above them.
const commandsMayImport = [...Object.keys(allowed), 'server.ts', 'index.ts'];

const srcDir = resolve(__dirname, '..', 'src');
const graph = importGraph(srcDir);

/** 'sessions' for 'sessions/liveSession.ts'; the file itself for the root modules ('server.ts'). */
function layerOf(module: string): string {
  const parts = module.split(/[\\/]/);
  return parts.length > 1 ? parts[0]! : module;
}

/** The imports of `graph` that break the layer map, as `from imports to`. */
function layerViolations(g: ImportGraph): string[] {
  const violations: string[] = [];
  for (const [from, targets] of g) {
    const layer = layerOf(from);
    const mayImport = layer === 'commands' ? commandsMayImport : allowed[layer];
    if (!mayImport) continue;
    for (const to of targets) {
      const targetLayer = layerOf(to);
      if (targetLayer !== layer && !mayImport.includes(targetLayer)) violations.push(`${from} imports ${to}`);
    }
  }
  return violations;
}

/** The edges: each formats for one audience and never imports another. */
const EDGES = ['tools', 'resources', 'prompts', 'http', 'proxy'];
/** Edges that answer questions about sessions and traces: they read them through the catalog. */
const READING_EDGES = ['tools', 'resources', 'prompts', 'http'];
/** What the reading edges may take from the store directly: the stored bytes of a trace, for downloads. */
const STORE_FOR_EDGES = new Set(['store/traceLayout']);
/** The one module per edge that the wiring (server.ts, cli.ts, index.ts, commands/) may import. */
const ENTRY_POINTS: Record<string, string[]> = {
  tools: ['tools/registerTools'],
  resources: ['resources/registerResources'],
  prompts: ['prompts/registerDebugSessionPrompt'],
  http: ['http/startGateway'],
  proxy: ['proxy/startProxy', 'proxy/recordTo', 'proxy/listenServer'],
};

/** `sessions/liveSession` for `sessions/liveSession.ts` (or `sessions\\liveSession.ts`). */
const moduleName = (file: string) => file.replace(/\\/g, '/').replace(/\.ts$/, '');

/**
 * Imports that put query logic in an edge: a reading edge importing the store's readers
 * (sessions and traces are read through the catalog), or the wiring importing an edge's
 * internals instead of its entry point (so one edge's query code cannot serve another).
 */
function queryLogicViolations(g: ImportGraph): string[] {
  const violations: string[] = [];
  for (const [fromFile, targets] of g) {
    const from = moduleName(fromFile);
    const fromLayer = from.includes('/') ? from.split('/')[0]! : undefined;
    for (const toFile of targets) {
      const to = moduleName(toFile);
      const toLayer = to.includes('/') ? to.split('/')[0]! : undefined;
      if (fromLayer && READING_EDGES.includes(fromLayer) && toLayer === 'store' && !STORE_FOR_EDGES.has(to)) violations.push(`${from} reads the store directly (${to}); read through catalog/`);
      const wiring = fromLayer === undefined || fromLayer === 'commands';
      if (wiring && toLayer && EDGES.includes(toLayer) && !ENTRY_POINTS[toLayer]!.includes(to)) violations.push(`${from} imports ${to}, not an entry point of ${toLayer}/`);
    }
  }
  return violations;
}

describe('architecture', () => {
  it('places every directory of src/ in the layer map', () => {
    const layers = new Set([...graph.keys()].filter((m) => /[\\/]/.test(m)).map(layerOf));
    expect([...layers].filter((l) => l !== 'commands' && !(l in allowed))).toEqual([]);
  });

  it('resolves every relative import of src/ to a file', () => {
    const unresolved = [...graph].flatMap(([from, targets]) => targets.filter((t) => t.startsWith('?')).map((t) => `${from} imports ${t.slice(1)}`));
    expect(unresolved).toEqual([]);
  });

  it('keeps the dependency direction of DESIGN section 3', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('lets only cli.ts import commands/, and nothing import cli.ts', () => {
    const offenders = [...graph].flatMap(([from, targets]) =>
      targets
        .filter((to) => (layerOf(to) === 'commands' && from !== 'cli.ts' && layerOf(from) !== 'commands') || to === 'cli.ts')
        .map((to) => `${from} imports ${to}`),
    );
    expect(offenders).toEqual([]);
  });

  it('has no import cycle in src/, type-only imports included', () => {
    expect(findCycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('keeps query logic out of the edges: they read through the catalog, the wiring imports only entry points', () => {
    expect(queryLogicViolations(graph)).toEqual([]);
  });

  it('writes nothing to stdout from library code', () => {
    const offenders = tsFilesUnder(srcDir)
      .filter((f) => !f.endsWith('cli.ts'))
      .filter((f) => /\bconsole\.(log|info)\(/.test(readFileSync(f, 'utf8')))
      .map((f) => f.slice(srcDir.length + 1));
    expect(offenders).toEqual([]);
  });
});

/** Most lines of a file in src/, and of one function (any kind, nested ones counted whole). */
const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 80;

/**
 * A closure factory on the forwarding path whose per-message callbacks share its state: a class of
 * small methods is the next step, taken only with a same-run proxy bench against the old build
 * (bench "proxy: tools/call sequential, recording vs bare"), as httpUpstream and the recorder were.
 */
const CLOSURE_FACTORY = 'closure factory on the forwarding path: to become a class of small methods, with a same-run proxy bench';

/**
 * Files and functions allowed over the limits, each with the reason. `path` for a file,
 * `path:function` for a function. An entry that no longer applies fails the test too, so the
 * list only shrinks.
 */
const SIZE_ALLOWED: Record<string, string> = {
  'instrumentation/redaction.ts:createRedactor': 'compiles the rules once into closures the hot path calls without property lookups (bench "recorder hot path")',
  'proxy/lineFramer.ts:createLineFramer': 'one byte-scanning loop with its buffer state, on the forwarding path (bench "proxy-big")',
  'proxy/recordingQueue.ts:createRecordingQueue': CLOSURE_FACTORY,
  'proxy/startProxy.ts:startProxy': CLOSURE_FACTORY,
};

describe('sizes', () => {
  it(`keeps files of src/ within ${MAX_FILE_LINES} lines and functions within ${MAX_FUNCTION_LINES}, except the allowed ones`, () => {
    const over = oversizes(srcDir, MAX_FILE_LINES, MAX_FUNCTION_LINES);
    expect(over.filter((o) => !(o.key in SIZE_ALLOWED)).map((o) => `${o.key}: ${o.lines} lines`)).toEqual([]);
    const stale = Object.keys(SIZE_ALLOWED).filter((key) => !over.some((o) => o.key === key));
    expect(stale).toEqual([]);
  });

  it('finds a long file and a long nested arrow function in real files', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'code-sizes-'));
    try {
      writeFileSync(join(dir, 'long.ts'), 'export const x = 1;\n'.repeat(12));
      writeFileSync(join(dir, 'fn.ts'), `export function outer() {\n  const inner = () => {\n${'    void 0;\n'.repeat(6)}  };\n  return inner;\n}\n`);
      writeFileSync(join(dir, 'ok.ts'), 'export function f() {\n  return 1;\n}\n');
      // fn.ts: 11 lines, outer() 11, inner 8; long.ts 12 lines.
      expect(oversizes(dir, 11, 8).map((o) => `${o.key} ${o.lines}`).sort()).toEqual(['fn.ts:outer 11', 'long.ts 12']);
      expect(oversizes(dir, 11, 7).map((o) => o.key).sort()).toEqual(['fn.ts:inner', 'fn.ts:outer', 'long.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the architecture checks themselves', () => {
  const g = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

  it('finds no cycle in a diamond, a chain, or across edges to unknown modules', () => {
    expect(findCycles(g({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }))).toEqual([]);
    expect(findCycles(g({ a: ['b'], b: ['c'], c: ['outside'] }))).toEqual([]);
    expect(findCycles(g({}))).toEqual([]);
  });

  it('finds a self import, a two-file cycle and a cycle deep in a chain', () => {
    expect(findCycles(g({ a: ['a'] }))).toEqual([['a', 'a']]);
    expect(findCycles(g({ a: ['b'], b: ['a'] }))).toEqual([['a', 'b', 'a']]);
    const deep = findCycles(g({ a: ['b'], b: ['c'], c: ['d'], d: ['e'], e: ['c'], x: ['a'] }));
    expect(deep).toEqual([['c', 'd', 'e', 'c']]);
  });

  it('finds every cycle of a graph with two disjoint ones, whichever module the search starts from', () => {
    const cycles = findCycles(g({ z: ['y'], y: ['z'], m: ['n'], n: ['o'], o: ['m'] }));
    expect(cycles.map((c) => c.join('>')).sort()).toEqual(['m>n>o>m', 'y>z>y']);
  });

  it('finds a cycle through a type-only import in real files', async () => {
    const { mkdtempSync, writeFileSync, mkdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'import-graph-'));
    try {
      mkdirSync(join(dir, 'sessions'));
      writeFileSync(join(dir, 'sessions', 'a.ts'), "import type { B } from './b.js';\nexport interface A { b?: B }\n");
      writeFileSync(join(dir, 'sessions', 'b.ts'), "import {\n  type A,\n} from './a.js';\nexport type B = A;\n");
      writeFileSync(join(dir, 'sessions', 'c.ts'), "export { type A } from './a.js';\nconst later = () => import('../missing.js');\n");
      const planted = importGraph(dir);
      expect(findCycles(planted).map((c) => c.join(' → '))).toEqual([`${join('sessions', 'a.ts')} → ${join('sessions', 'b.ts')} → ${join('sessions', 'a.ts')}`]);
      expect(planted.get(join('sessions', 'c.ts'))).toEqual([join('sessions', 'a.ts'), '?../missing.js']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an edge importing another edge, a lower layer importing upward, and a layer importing commands/', () => {
    expect(
      layerViolations(
        g({
          'tools/a.ts': ['http/router.ts', 'sessions/b.ts'],
          'core/c.ts': ['store/d.ts'],
          'http/e.ts': ['commands/serveCommand.ts'],
          'commands/f.ts': ['server.ts', 'http/router.ts', 'cli.ts'],
        }),
      ),
    ).toEqual(['tools/a.ts imports http/router.ts', 'core/c.ts imports store/d.ts', 'http/e.ts imports commands/serveCommand.ts', 'commands/f.ts imports cli.ts']);
  });

  it('reports the catalog importing an edge, sessions importing the catalog, and query logic in an edge', () => {
    expect(layerViolations(g({ 'http/routes/x.ts': ['tools/suggestIds.ts'], 'catalog/x.ts': ['tools/registerTools.ts'], 'sessions/x.ts': ['catalog/sessionCatalog.ts'], 'tools/x.ts': ['catalog/spanFacts.ts'] }))).toEqual([
      'http/routes/x.ts imports tools/suggestIds.ts',
      'catalog/x.ts imports tools/registerTools.ts',
      'sessions/x.ts imports catalog/sessionCatalog.ts',
    ]);
    expect(queryLogicViolations(g({ 'server.ts': ['tools/traceCache.ts'] }))).toHaveLength(1);
    expect(queryLogicViolations(g({ 'commands/x.ts': ['http/routes/sessionsRoute.ts'] }))).toHaveLength(1);
    expect(queryLogicViolations(g({ 'resources/x.ts': ['store/traceReader.ts'] }))).toHaveLength(1);
    expect(queryLogicViolations(g({ 'server.ts': ['tools/registerTools.ts'], 'http/x.ts': ['store/traceLayout.ts'] }))).toEqual([]);
  });
});
