import { isInspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import { traceFilesVersion } from '../store/traceParts.js';
import { readTrace } from '../store/traceReader.js';
import { makeTrace, type LoadedTrace } from './loadedTrace.js';

export interface TraceCacheOptions {
  tracesDir: string;
  /** Most traces kept parsed. Default 8. */
  maxEntries?: number;
  /** Most spans kept parsed across all cached traces (the newest trace is always kept). Default 500,000. */
  maxSpans?: number;
}

/** Parsed traces, most recently used kept, each valid while its files' sizes and mtimes are unchanged. */
export interface TraceCache {
  /** The session's trace, read again only when its file changed; empty when the file does not exist. */
  get(sessionId: string): Promise<LoadedTrace>;
  /** Drops one cached trace, or all of them. */
  invalidate(sessionId?: string): void;
}

/** Creates a bounded LRU cache of parsed traces over `tracesDir`. */
export function createTraceCache(options: TraceCacheOptions): TraceCache {
  const maxEntries = options.maxEntries ?? 8;
  const maxSpans = options.maxSpans ?? 500_000;
  const entries = new Map<string, LoadedTrace>(); // insertion order = LRU order
  const loading = new Map<string, { version: string; promise: Promise<LoadedTrace> }>();

  const evict = () => {
    let total = 0;
    for (const t of entries.values()) total += t.spans.length;
    for (const [id, t] of entries) {
      if (entries.size <= 1 || (entries.size <= maxEntries && total <= maxSpans)) break;
      entries.delete(id);
      total -= t.spans.length;
    }
  };

  const load = async (sessionId: string, version: string): Promise<LoadedTrace> => {
    try {
      const { spans, stats } = await readTrace(options.tracesDir, sessionId);
      return makeTrace(sessionId, spans, stats, version);
    } catch (err) {
      if (isInspectorError(err, 'SESSION_NOT_FOUND')) return makeTrace(sessionId, [], { spans: 0, corruptLines: 0, truncated: false }, 'missing');
      throw err;
    }
  };

  return {
    async get(sessionId) {
      assertSessionId(sessionId);
      const version = await traceFilesVersion(options.tracesDir, sessionId);
      const cached = entries.get(sessionId);
      if (cached && cached.version === version) {
        entries.delete(sessionId);
        entries.set(sessionId, cached);
        return cached;
      }
      if (version === 'missing') return makeTrace(sessionId, [], { spans: 0, corruptLines: 0, truncated: false }, version);
      const inflight = loading.get(sessionId);
      if (inflight && inflight.version === version) return inflight.promise;
      const promise = load(sessionId, version).finally(() => {
        if (loading.get(sessionId)?.promise === promise) loading.delete(sessionId);
      });
      loading.set(sessionId, { version, promise });
      const trace = await promise;
      entries.delete(sessionId);
      entries.set(sessionId, trace);
      evict();
      return trace;
    },
    invalidate(sessionId) {
      if (sessionId === undefined) entries.clear();
      else entries.delete(sessionId);
    },
  };
}
