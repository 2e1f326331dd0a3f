import { renderTable, type BenchRow, type BenchSuite } from './benchRow.js';

/**
 * `npm run bench [suite...]`: runs every suite (or the named ones) and prints one table.
 * Suites are loaded lazily so one that fails to load does not stop the others.
 */
const suites: Record<string, () => Promise<BenchSuite>> = {};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const rows: BenchRow[] = [];
  for (const [name, load] of Object.entries(suites)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
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
