import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpanSchema } from '../../src/core/span.js';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { currentSpanContext, runWithSpanContext } from '../../src/instrumentation/traceContext.js';
import { createTracer } from '../../src/instrumentation/tracer.js';
import { startLiveSession } from '../../src/sessions/startLiveSession.js';
import { readMetaFile } from '../../src/store/metaFile.js';
import { readTrace } from '../../src/store/traceReader.js';

describe('createTracer', () => {
  it('nests children through async context, across awaits, and writes valid spans of our format on end', async () => {
    const sink = new InMemorySpanSink();
    const tracer = createTracer({ sink, sessionId: 'tracer-session' });
    const root = tracer.startSpan('run', { attributes: { 'run.kind': 'nightly', list: [1, 2], obj: { a: 1 } } });
    await tracer.withSpan(root, async () => {
      expect(tracer.activeSpan()).toBe(root);
      await new Promise((r) => setTimeout(r, 1));
      const child = tracer.startSpan('fetch', { kind: 'CLIENT' });
      await tracer.withSpan(child, async () => {
        await Promise.resolve();
        tracer.startSpan('parse').end();
      });
      child.setAttribute('rows', 3).addEvent('page', { n: 1 }).end();
      child.setAttribute('late', true); // after end: ignored
      child.end({ error: 'twice' });
    });
    const detached = tracer.startSpan('detached', { parent: null });
    tracer.withSpan(root, () => tracer.startSpan('explicit root', { parent: null }).end());
    root.end({ error: new TypeError('bad row') });
    detached.end();
    expect(tracer.spansEnded).toBe(5);
    const byName = new Map(sink.spans.map((s) => [s.name, s]));
    for (const s of sink.spans) expect(SpanSchema.safeParse(s).success).toBe(true);
    expect(byName.get('fetch')!.parent_span_id).toBe(root.spanId);
    expect(byName.get('parse')!.parent_span_id).toBe(byName.get('fetch')!.span_id);
    expect(byName.get('run')!.parent_span_id).toBeUndefined();
    expect(byName.get('detached')!.parent_span_id).toBeUndefined();
    expect(byName.get('explicit root')!.parent_span_id).toBeUndefined();
    expect(new Set(sink.spans.map((s) => s.trace_id)).size).toBe(1);
    expect(byName.get('fetch')).toMatchObject({ kind: 'CLIENT', status: { status_code: 'OK' }, attributes: { 'session.id': 'tracer-session', rows: 3 }, events: [{ name: 'page', attributes: { n: 1 } }] });
    expect(byName.get('fetch')!.attributes.late).toBeUndefined();
    expect(byName.get('run')).toMatchObject({ status: { status_code: 'ERROR', description: 'bad row' }, attributes: { 'error.type': 'TypeError', 'run.kind': 'nightly', list: [1, 2], obj: '{"a":1}' } });
    expect(byName.get('run')!.start_time <= byName.get('fetch')!.start_time).toBe(true);
    expect(byName.get('run')!.end_time >= byName.get('fetch')!.end_time).toBe(true);
  });

  it('startActiveSpan ends the span with the thrown error and rethrows; an MCP span context from outside is the parent', async () => {
    const sink = new InMemorySpanSink();
    const tracer = createTracer({ sink, sessionId: 'tracer-session' });
    await expect(tracer.startActiveSpan('fails', async () => {
      await tracer.startActiveSpan('inner', () => 1);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(sink.spans.map((s) => [s.name, s.status.status_code])).toEqual([['inner', 'OK'], ['fails', 'ERROR']]);
    const outer = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8) };
    await runWithSpanContext(outer, () => tracer.startActiveSpan('under mcp', () => {
      expect(currentSpanContext()?.traceId).toBe(outer.traceId);
    }));
    expect(sink.spans.at(-1)).toMatchObject({ trace_id: outer.traceId, parent_span_id: outer.spanId });
  });

  it('records into the session trace file through startLiveSession, counted in the meta', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'insp-tracer-'));
    try {
      const session = await startLiveSession({ tracesDir: dir, engine: 'workflow', title: 'traced', sessionId: 'tracer-live-1' });
      await session.tracer.startActiveSpan('step 1', async () => {
        await session.tracer.startActiveSpan('step 1.1', () => undefined);
      });
      session.tracer.startSpan('broken').end({ error: 'disk full' });
      const finished: string[] = [];
      session.bus.subscribe((e) => { if (e.type === 'SessionFinished') finished.push(`${e.status}: ${e.reason}`); });
      await session.finish('completed');
      // A run with an error span ends failed, on disk and live alike (as a proxied session does).
      expect(finished).toEqual([expect.stringMatching(/^failed: .*disk full/)]);
      expect(session.meta()).toMatchObject({ status: 'failed' });
      const { spans } = await readTrace(dir, 'tracer-live-1');
      expect(spans.map((s) => s.name).sort()).toEqual(['broken', 'step 1', 'step 1.1']);
      const parent = spans.find((s) => s.name === 'step 1')!;
      expect(spans.find((s) => s.name === 'step 1.1')!.parent_span_id).toBe(parent.span_id);
      const meta = await readMetaFile(join(dir, 'tracer-live-1.meta.json'));
      expect(meta).toMatchObject({ engine: 'workflow', title: 'traced', span_count: 3, error_count: 1, status: 'failed' });
      expect(meta!.pid).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
