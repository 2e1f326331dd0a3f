import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Span } from '../../src/core/span.js';
import { teeExporter, type SpanBatch, type SpanExporter } from '../../src/core/spanExporter.js';
import { createRpcRecorder } from '../../src/instrumentation/rpcRecorder.js';
import { readTrace } from '../../src/store/traceReader.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { makeSpan, SID, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

/** An exporter that keeps what it is given and what was called on it. */
function keeping(): SpanExporter & { batches: SpanBatch[]; calls: string[] } {
  const batches: SpanBatch[] = [];
  const calls: string[] = [];
  return {
    batches,
    calls,
    export: (b) => void batches.push(b),
    forceFlush: async () => void calls.push('flush'),
    shutdown: async () => void calls.push('shutdown'),
  };
}

describe('teeExporter', () => {
  it('gives every exporter each batch in order; one that throws is reported and does not stop the others', async () => {
    const a = keeping();
    const b = keeping();
    const errors: unknown[] = [];
    const broken: SpanExporter = {
      export: () => {
        throw new Error('export broke');
      },
      forceFlush: () => Promise.reject(new Error('flush broke')),
      shutdown: async () => undefined,
    };
    const tee = teeExporter([a, broken, b], (err) => errors.push(err));
    const batch = (n: number): SpanBatch => ({ spans: [makeSpan(n)], lines: [JSON.stringify(makeSpan(n))], errors: 0, chars: 10 });
    tee.export(batch(1));
    tee.export(batch(2));
    await tee.forceFlush();
    await tee.shutdown();
    for (const e of [a, b]) {
      expect(e.batches.map((x) => x.spans[0]!.span_id)).toEqual([makeSpan(1).span_id, makeSpan(2).span_id]);
      expect(e.calls).toEqual(['flush', 'shutdown']);
    }
    expect(errors.map((e) => (e as Error).message)).toEqual(['export broke', 'export broke', 'flush broke']);
  });
});

describe('trace writer exporters', () => {
  it('an extra exporter gets the same spans as the trace file, serialised once, and is flushed and shut down with the writer', async () => {
    const extra = keeping();
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', flushBytes: 2000, exporters: [extra] });
    for (let i = 0; i < 40; i++) w.write(makeSpan(i, i === 3 ? { status: { status_code: 'ERROR', description: 'x' } } : {}));
    await w.flush();
    expect(extra.calls).toEqual(['flush']);
    await w.close();
    expect(extra.calls).toEqual(['flush', 'flush', 'shutdown']);
    expect(extra.batches.length).toBeGreaterThan(1);
    const spans = extra.batches.flatMap((b) => b.spans);
    expect(extra.batches.flatMap((b) => b.lines)).toEqual(spans.map((s) => JSON.stringify(s)));
    expect(extra.batches.reduce((n, b) => n + b.errors, 0)).toBe(1);
    const onDisk = (await readTrace(dir, SID)).spans;
    expect(onDisk).toEqual(spans);
    expect(onDisk).toHaveLength(40);
  });

  it('rejects an exporters option that is not a list of exporters', () => {
    expect(() => createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', exporters: [{}] as never })).toThrow(/exporters/);
  });

  it('caps a recorded span once, in the sink: the recorder leaves capping to a writer, and the file holds it capped', async () => {
    const extra = keeping();
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', exporters: [extra] });
    const seen: Span[] = [];
    // Watch what the recorder hands the sink, before the sink caps it.
    const sink = Object.assign(Object.create(w) as typeof w, { write: (s: Span) => (seen.push(structuredClone(s)), w.write(s)) });
    const rec = createRpcRecorder({ sink, sessionId: SID, transport: 'stdio' });
    const big = 'é'.repeat(40_000);
    rec.received({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: big } } });
    rec.sent({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: big }] } });
    await rec.close();
    await w.close();
    expect(seen).toHaveLength(1);
    expect((seen[0]!.attributes['mcp.rpc.request_json'] as string).length).toBeGreaterThan(40_000);
    const [span] = (await readTrace(dir, SID)).spans;
    expect(Buffer.byteLength(span!.attributes['mcp.rpc.request_json'] as string)).toBeLessThanOrEqual(30 * 1024);
    expect(span!.attributes['mcp.rpc.request_json_truncated']).toBe(true);
    expect(extra.batches[0]!.spans[0]).toEqual(span);
  });
});
