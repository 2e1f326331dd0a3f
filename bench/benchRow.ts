/** One line of `npm run bench`: a measured figure beside its target and its baseline. */
export interface BenchRow {
  /** What was measured, e.g. "persist throughput (2 KB spans)". */
  name: string;
  /** The measured figure, formatted with its unit, e.g. "41,200 spans/s". */
  measured: string;
  /** The baseline measured side by side in the same run, e.g. "zlib alone 45,000 spans/s". */
  baseline: string;
  /** The target as stated by the issue, e.g. ">= 80% of zlib". */
  target: string;
  /** Whether the measured figure meets the target. */
  ok: boolean;
}

/** A group of benchmarks: runs and returns its rows. Each must clean up after itself. */
export type BenchSuite = () => Promise<BenchRow[]>;

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The p-th percentile (0-100) of `values` (not sorted in place). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/** Renders rows as a plain-text table. */
export function renderTable(rows: BenchRow[]): string {
  const header = ['benchmark', 'measured', 'target', 'baseline (same run)', 'ok'];
  const body = rows.map((r) => [r.name, r.measured, r.target, r.baseline, r.ok ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}
