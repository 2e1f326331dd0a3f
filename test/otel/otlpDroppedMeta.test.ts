import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Span } from '../../src/core/span.js';
import type { SpanBatch, SpanExporter } from '../../src/core/spanExporter.js';
import { parseMeta } from '../../src/store/metaFile.js';
import { metaFilePath } from '../../src/store/paths.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';

/** An exporter that drops every other span it gets (a stand-in for a collector that fails). */
function lossyExporter(): SpanExporter & { got: number } {
  let dropped = 0;
  return {
    got: 0,
    export(batch: SpanBatch) {
      this.got += batch.spans.length;
      dropped += Math.floor(batch.spans.length / 2);
    },
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
    dropped: () => dropped,
  };
}

const span = (i: number): Span => ({
  trace_id: 'a'.repeat(32), span_id: (i + 1).toString(16).padStart(16, '0'), name: 'tools/call x', kind: 'SERVER',
  start_time: '2026-01-01T00:00:00.000000Z', end_time: '2026-01-01T00:00:00.000100Z', status: { status_code: 'OK' }, attributes: {},
});

describe('the trace writer records what its exporters dropped as otlp_dropped', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const metaOf = async (id: string) => parseMeta(await readFile(metaFilePath(dir!, id), 'utf8'));

  it('in meta() and the final record; absent when nothing was dropped; kept when a later writer continues the session', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpscope-dropped-'));
    const lossy = lossyExporter();
    const w = createTraceWriter({ tracesDir: dir, sessionId: 'dropped-1', title: 't', engine: 'proxy', exporters: [lossy] });
    for (let i = 0; i < 10; i++) w.write(span(i));
    await w.flush();
    expect(lossy.got).toBe(10);
    expect(w.meta().otlp_dropped).toBe(5);
    await w.close();
    expect(await metaOf('dropped-1')).toEqual(expect.objectContaining({ span_count: 10, otlp_dropped: 5 }));

    const again = createTraceWriter({ tracesDir: dir, sessionId: 'dropped-1', title: 't', engine: 'proxy', exporters: [lossyExporter()] });
    for (let i = 10; i < 14; i++) again.write(span(i));
    await again.close();
    expect(await metaOf('dropped-1')).toEqual(expect.objectContaining({ span_count: 14, otlp_dropped: 7 }));

    const clean = createTraceWriter({ tracesDir: dir, sessionId: 'clean-1', title: 't', engine: 'proxy', exporters: [{ export() {}, forceFlush: async () => undefined, shutdown: async () => undefined, dropped: () => 0 }] });
    clean.write(span(0));
    await clean.close();
    expect(await metaOf('clean-1')).not.toHaveProperty('otlp_dropped');
  });
});
