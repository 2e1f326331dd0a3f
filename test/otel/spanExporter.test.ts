import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { trace, context } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { readMetaFile } from '../../src/store/metaFile.js';
import { metaFilePath } from '../../src/store/paths.js';
import { readTrace } from '../../src/store/traceReader.js';
import { createSessionWriterPool } from '../../src/otel/sessionWriterPool.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { createMcpscopeSpanExporter } from '../../src/index.js';

describe('McpscopeSpanExporter', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
    root = undefined;
  });

  it('writes an SDK app\'s spans (BatchSpanProcessor) into sessions keyed by mcp.session.id, titled by service.name', async () => {
    root = await mkdtemp(join(tmpdir(), 'mcpscope-exp-'));
    const exporter = createMcpscopeSpanExporter({ tracesDir: root });
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'batch-app' }), spanProcessors: [new BatchSpanProcessor(exporter)] });
    const tracer = provider.getTracer('t');
    for (const sid of ['session-one', 'session-two']) {
      const parent = tracer.startSpan('initialize', { attributes: { 'mcp.session.id': sid } });
      tracer.startSpan('tools/call echo', { attributes: { 'mcp.session.id': sid, 'api_key': 'abc' } }, trace.setSpan(context.active(), parent)).end();
      parent.end();
    }
    await provider.shutdown(); // flushes the batch and shuts the exporter down (closing sessions)
    for (const sid of ['session-one', 'session-two']) {
      const { spans } = await readTrace(root, sid);
      expect(spans.map((s) => s.name).sort()).toEqual(['initialize', 'tools/call echo']);
      const child = spans.find((s) => s.name === 'tools/call echo')!;
      expect(child.parent_span_id).toBe(spans.find((s) => s.name === 'initialize')!.span_id);
      expect(child.attributes.api_key).toBe('[REDACTED]');
      const meta = await readMetaFile(metaFilePath(root, sid));
      expect(meta).toMatchObject({ engine: 'otlp', title: 'batch-app', status: 'completed', span_count: 2 });
    }
    // After shutdown, exports fail instead of writing.
    const result = await new Promise<{ code: number }>((r) => exporter.export([], r));
    expect(result.code).toBe(1);
  });

  it('loads no @opentelemetry package at runtime but the OTLP exporters, on demand (the SDK ones are optional peer dependencies, used for types only)', async () => {
    const dir = resolve(__dirname, '..', '..', 'src', 'otel');
    const dynamic: string[] = [];
    for (const name of await readdir(dir)) {
      const source = await readFile(join(dir, name), 'utf8');
      for (const m of source.matchAll(/^import\s+(type\s+)?[^;]*from\s+'(@opentelemetry\/[^']+)'/gm)) expect(m[1], `${name} imports ${m[2]} at runtime`).toBe('type ');
      for (const m of source.matchAll(/import\(\s*'(@opentelemetry\/[^']+)'/g)) dynamic.push(`${name}: ${m[1]}`);
    }
    // Only OTLP export (`--otlp-endpoint`) loads packages, and only these, when it starts.
    expect(dynamic.sort()).toEqual(['otlpSender.ts: @opentelemetry/exporter-trace-otlp-http', 'otlpSender.ts: @opentelemetry/exporter-trace-otlp-proto']);
    const pkg = JSON.parse(await readFile(resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional: boolean }> };
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@opentelemetry/')).sort()).toEqual(['@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/exporter-trace-otlp-proto']);
    expect(pkg.peerDependenciesMeta['@opentelemetry/sdk-trace-base']?.optional).toBe(true);
  });
});

describe('session writer pool', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
    root = undefined;
  });
  const span = (n: number) => ({
    trace_id: 'a'.repeat(32), span_id: n.toString(16).padStart(16, '0'), name: 'x', kind: 'INTERNAL' as const,
    start_time: '2026-01-01T00:00:00.000000Z', end_time: '2026-01-01T00:00:00.000001Z', status: { status_code: 'UNSET' as const }, attributes: {},
  });

  it('keeps at most maxOpen writers, closing the least recently used as completed, and refuses a session another writer holds', async () => {
    root = await mkdtemp(join(tmpdir(), 'mcpscope-pool-'));
    const logs: string[] = [];
    const pool = createSessionWriterPool({ tracesDir: root, maxOpen: 2, idleMs: 60_000, log: (l) => logs.push(l) });
    const key = (id: string) => ({ sessionId: id, title: id });
    expect(await pool.write(key('pool-aaa'), [span(1)])).toBe(true);
    expect(await pool.write(key('pool-bbb'), [span(2)])).toBe(true);
    expect(await pool.write(key('pool-aaa'), [span(3)])).toBe(true); // aaa is now the most recent
    expect(await pool.write(key('pool-ccc'), [span(4)])).toBe(true); // evicts bbb
    expect(pool.size).toBe(2);
    const held = createTraceWriter({ tracesDir: root, sessionId: 'pool-held', title: 'other', engine: 'client' });
    expect(await pool.write(key('pool-held'), [span(5)])).toBe(false);
    expect(logs.join('\n')).toMatch(/pool-held/);
    await held.close();
    // bbb was closed by eviction; writing it again continues the same trace.
    await expect.poll(async () => (await readMetaFile(metaFilePath(root!, 'pool-bbb')))?.status).toBe('completed');
    expect(await pool.write(key('pool-bbb'), [span(6)])).toBe(true);
    await pool.close();
    expect((await readTrace(root, 'pool-bbb')).spans.map((s) => s.span_id)).toEqual([span(2).span_id, span(6).span_id]);
    expect((await readTrace(root, 'pool-aaa')).spans).toHaveLength(2);
    expect(await pool.write(key('pool-ddd'), [span(7)])).toBe(false);
  });

  it('reopens a session whose writer is still closing once it has let go, losing nothing', async () => {
    root = await mkdtemp(join(tmpdir(), 'mcpscope-pool-'));
    const pool = createSessionWriterPool({ tracesDir: root, maxOpen: 1, idleMs: 60_000 });
    const key = (id: string) => ({ sessionId: id, title: id });
    expect(await pool.write(key('pool-one'), [span(1)])).toBe(true);
    expect(await pool.write(key('pool-two'), [span(2)])).toBe(true); // starts closing pool-one
    expect(await pool.write(key('pool-one'), [span(3)])).toBe(true); // waits for it, then continues the trace
    await pool.close();
    expect((await readTrace(root, 'pool-one')).spans.map((s) => s.span_id)).toEqual([span(1).span_id, span(3).span_id]);
  });
});
