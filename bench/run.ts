import { renderTable, type BenchRow, type BenchSuite } from './benchRow.js';

/**
 * `npm run bench [suite...]`: runs every suite (or the named ones) and prints one table.
 * Suites are loaded lazily so one that fails to load does not stop the others.
 */
const suites: Record<string, () => Promise<BenchSuite>> = {
  store: async () => (await import('./storeBench.js')).storeBench,
  instrumentation: async () => (await import('./instrumentationBench.js')).instrumentationBench,
  proxy: async () => (await import('./proxyBench.js')).proxyBench,
  /** The 100 KB rows alone (also part of `proxy`). */
  'proxy-big': async () => (await import('./proxyBigBench.js')).proxyBigRows,
  server: async () => (await import('./serverBench.js')).serverBench,
  sessions: async () => (await import('./sessionsBench.js')).sessionsBench,
  http: async () => (await import('./httpBench.js')).httpBench,
  crash: async () => (await import('./crashSoak.js')).crashSoakBench,
  start: async () => (await import('./startBench.js')).startBench,
  otel: async () => (await import('./otelBench.js')).otelBench,
  'otel-export': async () => (await import('./otelExportBench.js')).otelExportBench,
  ui: async () => (await import('./uiBench.js')).uiBench,
};

/** Suites whose rows another suite already runs: only when asked for by name. */
const ONLY_WHEN_NAMED = new Set(['proxy-big']);

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in suites));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown suite(s) ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const rows: BenchRow[] = [];
  for (const [name, load] of Object.entries(suites)) {
    if (wanted.length > 0 ? !wanted.includes(name) : ONLY_WHEN_NAMED.has(name)) continue;
    process.stderr.write(`bench: ${name}...\n`);
    try {
      const suite = await load();
      rows.push(...(await suite()));
    } catch (err) {
      rows.push({ name: `${name} (failed)`, measured: String(err instanceof Error ? err.message : err), baseline: '-', target: '-', ok: false });
    }
  }
  process.stdout.write(`${renderTable(rows)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
