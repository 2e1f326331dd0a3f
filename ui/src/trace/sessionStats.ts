import { durationOf, isRealError, type SpanRow } from './spanRow.js';

/** Calls and real errors of one tool. */
export interface ToolCount {
  tool: string;
  calls: number;
  errors: number;
}

/** Latency summary of one method (or `tools/call <tool>`), in ms. */
export interface Latency {
  key: string;
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentile `q` (0..1) of sorted `values`. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/**
 * Tallies the header charts incrementally as rows arrive: calls and errors per tool, and
 * durations per method (tool calls per tool). Durations are kept as growing Float64Arrays
 * (8 bytes a span) and sorted only when a summary is asked for.
 */
export class SessionStats {
  private readonly tools = new Map<string, ToolCount>();
  private readonly durations = new Map<string, { values: Float64Array; n: number; sorted: boolean }>();

  add(rows: Iterable<SpanRow>): void {
    for (const row of rows) {
      if (row.method === 'tools/call') {
        const tool = row.target || '(unnamed)';
        let t = this.tools.get(tool);
        if (!t) this.tools.set(tool, (t = { tool, calls: 0, errors: 0 }));
        t.calls++;
        if (isRealError(row)) t.errors++;
      }
      if (row.requestId === undefined || row.method === '') continue;
      const key = row.method === 'tools/call' ? `tools/call ${row.target}` : row.method;
      let d = this.durations.get(key);
      if (!d) this.durations.set(key, (d = { values: new Float64Array(16), n: 0, sorted: true }));
      if (d.n === d.values.length) {
        const grown = new Float64Array(d.n * 2);
        grown.set(d.values);
        d.values = grown;
      }
      d.values[d.n++] = durationOf(row);
      d.sorted = false;
    }
  }

  /** Tools by calls (most first), at most `limit`. */
  toolCounts(limit = 12): ToolCount[] {
    return [...this.tools.values()].sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool)).slice(0, limit);
  }

  /** Latency per method or tool, busiest first, at most `limit`. */
  latencies(limit = 12): Latency[] {
    const out: Latency[] = [];
    for (const [key, d] of this.durations) {
      const view = d.values.subarray(0, d.n);
      if (!d.sorted) {
        view.sort();
        d.sorted = true;
      }
      out.push({ key, count: d.n, p50: percentile(view, 0.5), p95: percentile(view, 0.95), max: view[d.n - 1]! });
    }
    return out.sort((a, b) => b.count - a.count || a.key.localeCompare(b.key)).slice(0, limit);
  }
}
