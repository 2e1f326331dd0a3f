import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

// DESIGN section 3: which layer may import which. server.ts, cli.ts, index.ts and commands wire everything.
const allowed: Record<string, string[]> = {
  core: [],
  store: ['core'],
  instrumentation: ['core'],
  sessions: ['core', 'store', 'instrumentation'],
  catalog: ['core', 'store', 'instrumentation', 'sessions'],
  proxy: ['core', 'store', 'instrumentation', 'sessions', 'catalog'],
  tools: ['core', 'store', 'instrumentation', 'sessions', 'catalog'],
  resources: ['core', 'store', 'instrumentation', 'sessions', 'catalog'],
  prompts: ['core', 'store', 'instrumentation', 'sessions', 'catalog'],
  http: ['core', 'store', 'instrumentation', 'sessions', 'catalog'],
};

const srcDir = resolve(__dirname, '..', 'src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
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

/** Relative imports of every source, as `src`-relative module paths without extension. */
function importsOf(sources: Record<string, string>): Array<{ from: string; to: string }> {
  const out: Array<{ from: string; to: string }> = [];
  for (const [file, source] of Object.entries(sources)) {
    for (const match of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const to = relative(srcDir, resolve(dirname(join(srcDir, file)), match[1]!)).replace(/\\/g, '/').replace(/\.js$/, '');
      out.push({ from: file.replace(/\\/g, '/'), to });
    }
  }
  return out;
}

/**
 * Imports that put query logic in an edge: a reading edge importing the store's readers
 * (sessions and traces are read through the catalog), or the wiring importing an edge's
 * internals instead of its entry point (so one edge's query code cannot serve another).
 */
function queryLogicViolations(sources: Record<string, string>): string[] {
  const violations: string[] = [];
  for (const { from, to } of importsOf(sources)) {
    const fromLayer = from.includes('/') ? from.split('/')[0]! : undefined;
    const toLayer = to.includes('/') ? to.split('/')[0]! : undefined;
    if (fromLayer && READING_EDGES.includes(fromLayer) && toLayer === 'store' && !STORE_FOR_EDGES.has(to)) violations.push(`${from} reads the store directly (${to}); read through catalog/`);
    const wiring = fromLayer === undefined || fromLayer === 'commands';
    if (wiring && toLayer && EDGES.includes(toLayer) && !ENTRY_POINTS[toLayer]!.includes(to)) violations.push(`${from} imports ${to}, not an entry point of ${toLayer}/`);
  }
  return violations;
}

/** Imports that break the layer map: a layer importing one it may not (edges importing edges included). */
function layerViolations(sources: Record<string, string>): string[] {
  const violations: string[] = [];
  for (const { from, to } of importsOf(sources)) {
    const layer = from.includes('/') ? from.split('/')[0]! : undefined;
    if (!layer || !(layer in allowed)) continue;
    const targetLayer = to.includes('/') ? to.split('/')[0]! : to;
    if (targetLayer !== layer && !allowed[layer]!.includes(targetLayer)) violations.push(`${from} imports ${to}`);
  }
  return violations;
}

function allSources(): Record<string, string> {
  return Object.fromEntries(filesUnder(srcDir).map((f) => [relative(srcDir, f).replace(/\\/g, '/'), readFileSync(f, 'utf8')]));
}

describe('architecture', () => {
  it('keeps the dependency direction of DESIGN section 3', () => {
    expect(layerViolations(allSources())).toEqual([]);
  });

  it('keeps query logic out of the edges: they read through the catalog, the wiring imports only entry points', () => {
    expect(queryLogicViolations(allSources())).toEqual([]);
  });

  it('catches planted violations', () => {
    expect(layerViolations({ 'http/routes/x.ts': "import { suggestIds } from '../../tools/suggestIds.js';" })).toEqual(['http/routes/x.ts imports tools/suggestIds']);
    expect(layerViolations({ 'catalog/x.ts': "import { registerTools } from '../tools/registerTools.js';" })).toHaveLength(1);
    expect(layerViolations({ 'sessions/x.ts': "import type { SessionCatalog } from '../catalog/sessionCatalog.js';" })).toHaveLength(1);
    expect(layerViolations({ 'tools/x.ts': "import { spanFacts } from '../catalog/spanFacts.js';" })).toEqual([]);
    expect(queryLogicViolations({ 'server.ts': "import { createTraceCache } from './tools/traceCache.js';" })).toHaveLength(1);
    expect(queryLogicViolations({ 'commands/x.ts': "import { sessionsRoute } from '../http/routes/sessionsRoute.js';" })).toHaveLength(1);
    expect(queryLogicViolations({ 'resources/x.ts': "import { readTrace } from '../store/traceReader.js';" })).toHaveLength(1);
    expect(queryLogicViolations({ 'server.ts': "import { registerTools } from './tools/registerTools.js';", 'http/x.ts': "import { loadTraceLayout } from '../store/traceLayout.js';" })).toEqual([]);
  });

  it('writes nothing to stdout from library code', () => {
    const offenders = filesUnder(srcDir)
      .filter((f) => !f.endsWith('cli.ts'))
      .filter((f) => /\bconsole\.(log|info)\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(srcDir, f));
    expect(offenders).toEqual([]);
  });
});
