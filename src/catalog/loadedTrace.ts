import type { Span } from '../core/span.js';

/** Read statistics of one trace file, as the trace reader reports them. */
export interface TraceStats {
  spans: number;
  corruptLines: number;
  truncated: boolean;
}

/**
 * One session's spans, parsed once and shared by every tool call until the file changes.
 * `spans` is in file order (the order spans ended). `memo` caches values derived from the
 * spans (indexes, aggregates) for as long as this trace stays cached.
 */
export interface LoadedTrace {
  readonly sessionId: string;
  readonly spans: readonly Span[];
  readonly stats: TraceStats;
  /** Identity of the file contents this was read from (size and mtime). */
  readonly version: string;
  memo<T>(key: string, compute: () => T): T;
}

/** Wraps spans read from a file as a {@link LoadedTrace} with its own memo table. */
export function makeTrace(sessionId: string, spans: readonly Span[], stats: TraceStats, version: string): LoadedTrace {
  const memo = new Map<string, unknown>();
  return {
    sessionId,
    spans,
    stats,
    version,
    memo<T>(key: string, compute: () => T): T {
      if (!memo.has(key)) {
        // Keep derived filter results few: they are cheap to recompute.
        if (key.startsWith('filter:') && memo.size > 16) {
          for (const k of memo.keys()) if (k.startsWith('filter:')) memo.delete(k);
        }
        memo.set(key, compute());
      }
      return memo.get(key) as T;
    },
  };
}
