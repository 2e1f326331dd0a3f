import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { capSpanJson } from '../core/jsonAttributes.js';
import { SpanSchema, TimestampSchema, type Span } from '../core/span.js';
import type { OpenRequestSource, OpenRequestTracking } from '../core/spanSink.js';
import { nowIso, nowMicros } from '../core/time.js';
import { inflightFilePath } from './paths.js';

/** The sidecar's content: the spans owed to the trace should the writer's process die. */
export const InflightFileSchema = z.object({
  v: z.literal(1),
  session_id: z.string(),
  pid: z.number().int(),
  /** When the writer last confirmed this list (rewritten at least every ALIVE_REFRESH_MS while non-empty). */
  last_alive_at: TimestampSchema,
  spans: z.array(SpanSchema).max(100_000),
});
export type InflightFile = z.infer<typeof InflightFileSchema>;

/** Longest time a non-empty sidecar goes without being rewritten: bounds how stale the time of death is. */
export const ALIVE_REFRESH_MS = 1000;

/** Keeps a writer's open-request sidecar; see createInflightSidecar. */
export interface InflightSidecar {
  track(source: OpenRequestSource): OpenRequestTracking;
  /** Stops watching and removes the sidecar (after its last write settled). Idempotent. */
  close(): Promise<void>;
}

export interface InflightSidecarOptions {
  tracesDir: string;
  sessionId: string;
  /** The writer's flush interval: requests open this long are certain to be in the sidecar. */
  intervalMs: number;
  /** Resolves true once the traces directory and the meta exist (false: never write). */
  ready: Promise<boolean>;
  onError(err: unknown): void;
}

/**
 * Keeps `<id>.inflight.json` true while requests are open: every `intervalMs / 2` while any
 * tracked source has open requests, the requests open at least that long are listed; the file
 * is replaced (temp + rename) only when that list changed, or to refresh `last_alive_at` after
 * ALIVE_REFRESH_MS, and removed when the list becomes empty. So a request open for one flush
 * interval is on disk before its process can die, a process under a stream of short calls
 * never writes the file at all, and an idle process has no timer armed.
 */
export function createInflightSidecar(o: InflightSidecarOptions): InflightSidecar {
  const path = inflightFilePath(o.tracesDir, o.sessionId);
  const period = Math.max(1, Math.floor(o.intervalMs / 2));
  const sources = new Set<OpenRequestSource>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let written = false;
  let lastKey = '';
  let lastWriteAt = 0;
  let closed = false;

  const arm = (): void => {
    if (timer || writing || closed) return;
    timer = setTimeout(tick, period);
    timer.unref();
  };

  const tick = (): void => {
    timer = undefined;
    if (closed) return;
    writing = update().finally(() => {
      writing = undefined;
      if ([...sources].some((s) => s.openCount() > 0)) arm();
    });
  };

  const update = async (): Promise<void> => {
    if (!(await o.ready) || closed) return;
    const spans = abandonedSpans(sources, nowMicros() - period * 1000, o.onError);
    if (spans.length === 0) {
      if (written) await remove();
      return;
    }
    const key = spans.map((s) => `${s.span_id}:${s.events?.length ?? 0}`).join(',');
    if (key === lastKey && Date.now() - lastWriteAt < ALIVE_REFRESH_MS) return;
    const file: InflightFile = { v: 1, session_id: o.sessionId, pid: process.pid, last_alive_at: nowIso(), spans };
    const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(file), { mode: 0o600 });
      await rename(tmp, path);
      written = true;
      lastKey = key;
      lastWriteAt = Date.now();
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      o.onError(err);
    }
  };

  const remove = async (): Promise<void> => {
    written = false;
    lastKey = '';
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') o.onError(err);
    });
  };

  return {
    track(source) {
      sources.add(source);
      return {
        changed: arm,
        stop() {
          if (!sources.delete(source)) return;
          // The list shrank: say so at the next tick (the file is removed when nothing is left).
          if (written) arm();
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      sources.clear();
      await writing;
      await remove();
    },
  };
}

/** The spans `sources` owe for requests open since `before` (µs), capped: they skip the writer's batcher, which caps. */
function abandonedSpans(sources: Iterable<OpenRequestSource>, before: number, onError: (err: unknown) => void): Span[] {
  const spans: Span[] = [];
  for (const s of sources) {
    try {
      for (const sp of s.abandonedSpans(before)) spans.push(capSpanJson(sp));
    } catch (err) {
      onError(err);
    }
  }
  return spans;
}
