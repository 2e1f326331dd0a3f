import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Span } from '../../src/core/span.js';
import { startGateway, type GatewayHandle } from '../../src/http/startGateway.js';
import { McpscopeSpanExporter } from '../../src/otel/spanExporter.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createSessionControl, type DiscoveringSessionControl } from '../../src/sessions/sessionControl.js';
import { readTrace } from '../../src/store/traceReader.js';
import { connectInspector } from '../fixtures/traces/inspectorClient.js';
import { openSse, type SseClient } from '../http/sseClient.js';
import { APP_SESSION_ID, runOtelApp } from './otelApp.js';

interface Setup {
  root: string;
  dir: string;
  gateway: GatewayHandle;
  control: DiscoveringSessionControl;
  close(): Promise<void>;
}

async function setup(otlp: { idleMs?: number; bodyLimit?: number } = {}): Promise<Setup> {
  const root = await mkdtemp(join(tmpdir(), 'mcpscope-otlp-'));
  const dir = join(root, 'traces');
  await mkdir(dir);
  const control = await createSessionControl({ tracesDir: dir, bus: createEventBus() });
  const gateway = await startGateway({ host: '127.0.0.1', port: 0, tracesDir: dir, control, otlp, log: () => undefined });
  return {
    root, dir, gateway, control,
    async close() {
      await gateway.close();
      await control.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Bounded poll: resolves once `check` returns a value, else fails after `ms`. */
async function until<T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const byId = (spans: Span[]) => [...spans].sort((a, b) => a.span_id.localeCompare(b.span_id));
const events = (sse: SseClient) => sse.events.map((e) => JSON.parse(e.data) as { type: string; session_id: string; engine?: string; span_count?: number; status?: string });

describe('OTLP ingest at POST /v1/traces', () => {
  let s: Setup | undefined;
  let sse: SseClient | undefined;
  afterEach(async () => {
    sse?.close();
    sse = undefined;
    await s?.close();
    s = undefined;
  });

  it('stores a Node app using the official OTLP/HTTP protobuf exporter as a session, live on /events, with its tree in get_trace', async () => {
    s = await setup({ idleMs: 300 });
    sse = await openSse(`${s.gateway.url}/_inspector/events`);
    expect(sse.status).toBe(200);
    const exporter = new OTLPTraceExporter({ url: `${s.gateway.url}/v1/traces`, headers: { Authorization: `Bearer ${s.gateway.token}` } });
    await runOtelApp(exporter, async () => {
      // The first span has arrived: the session is live before the app's other spans exist.
      await sse!.until(() => events(sse!).some((e) => e.type === 'Heartbeat' && e.session_id === APP_SESSION_ID && e.span_count === 1));
      const started = events(sse!).find((e) => e.type === 'SessionStarted');
      expect(started).toMatchObject({ session_id: APP_SESSION_ID, engine: 'otlp' });
      expect(events(sse!).some((e) => e.type === 'SessionFinished')).toBe(false);
    });
    await sse.until(() => events(sse!).some((e) => e.type === 'SessionFinished' && e.session_id === APP_SESSION_ID));
    // Quiet ended it; one error span makes it failed, by the same outcome rules as recorded sessions.
    expect(events(sse).find((e) => e.type === 'SessionFinished')!.status).toBe('failed');

    const conn = await connectInspector({ tracesDir: s.dir, watch: false });
    try {
      const list = await conn.call('list_sessions', {});
      const rows = (list.structuredContent as { sessions: Array<{ id: string; engine: string; title: string; span_count: number; status: string }> }).sessions;
      expect(rows.find((r) => r.id === APP_SESSION_ID)).toMatchObject({ engine: 'otlp', title: 'node-agent', span_count: 3, status: 'failed' });
      const tree = await conn.call('get_trace', { session_id: APP_SESSION_ID, view: 'tree' });
      expect(tree.isError).toBeFalsy();
      const nodes = (tree.structuredContent as { nodes: Array<{ span_id: string; parent_span_id?: string; depth: number; name: string; children: number; status: string }> }).nodes;
      const root = nodes.find((n) => n.name === 'agent run')!;
      expect(root).toMatchObject({ depth: 0, children: 2, status: 'OK' });
      const kids = nodes.filter((n) => n.parent_span_id === root.span_id).map((n) => [n.name, n.depth, n.status]);
      expect(kids.sort()).toEqual([['tools/call read_file', 1, 'UNSET'], ['tools/call write_file', 1, 'ERROR']]);
    } finally {
      await conn.close();
    }
    const { spans } = await readTrace(s.dir, APP_SESSION_ID);
    const read = spans.find((x) => x.name === 'tools/call read_file')!;
    expect(read.kind).toBe('CLIENT');
    expect(read.start_time).toBe('2026-01-01T00:00:00.200000Z');
    expect(read.end_time).toBe('2026-01-01T00:00:00.250001Z');
    expect(read.attributes['http.request.header.authorization']).toBe('[REDACTED]');
    expect(read.attributes['mcp.rpc.request_json']).not.toContain('k-123');
    expect(read.attributes['mcp.tool.output_json_truncated']).toBe(true);
    expect(read.attributes['retry.count']).toBe(2);
    expect(read.attributes['tags.list']).toEqual(['a', 'b']);
    const failed = spans.find((x) => x.name === 'tools/call write_file')!;
    expect(failed.status).toEqual({ status_code: 'ERROR', description: 'disk full' });
    expect(failed.events).toEqual([{ name: 'exception', time: '2026-01-01T00:00:00.310000Z', attributes: { 'exception.message': 'disk full' } }]);
  });

  it('round trip: our SpanExporter writing directly and the OTLP exporter through the gateway give equal sessions, span for span', async () => {
    s = await setup({ idleMs: 60_000 });
    const direct = join(s.root, 'direct');
    const ours = new McpscopeSpanExporter({ tracesDir: direct });
    await runOtelApp(ours);
    await runOtelApp(new OTLPTraceExporter({ url: `${s.gateway.url}/v1/traces`, headers: { Authorization: `Bearer ${s.gateway.token}` } }));
    await s.gateway.close(); // closes the ingest's writers: everything is on disk
    const a = (await readTrace(direct, APP_SESSION_ID)).spans;
    const b = (await readTrace(s.dir, APP_SESSION_ID)).spans;
    expect(a).toHaveLength(3);
    expect(byId(b)).toEqual(byId(a));
    expect(byId(a).map((x) => x.parent_span_id)).toEqual([undefined, '0000000000000001', '0000000000000001']);
  });

  it('accepts OTLP/JSON from the official JSON exporter, gzip-compressed', async () => {
    s = await setup({ idleMs: 60_000 });
    await runOtelApp(new OTLPJsonTraceExporter({ url: `${s.gateway.url}/v1/traces`, compression: 'gzip' as never, headers: { Authorization: `Bearer ${s.gateway.token}` } }));
    await s.gateway.close();
    const direct = join(s.root, 'direct');
    const ours = new McpscopeSpanExporter({ tracesDir: direct });
    await runOtelApp(ours);
    expect(byId((await readTrace(s.dir, APP_SESSION_ID)).spans)).toEqual(byId((await readTrace(direct, APP_SESSION_ID)).spans));
  });

  it('groups by mcp.session.id / session.id and reports spans with invalid ids in partialSuccess', async () => {
    s = await setup({ idleMs: 60_000 });
    const span = (spanId: string, attrs: Array<[string, string]>) => ({
      traceId: '11111111111111111111111111111111', spanId, name: `s-${spanId}`, kind: 2,
      startTimeUnixNano: '1767225600000000000', endTimeUnixNano: '1767225600001000000',
      attributes: attrs.map(([key, v]) => ({ key, value: { stringValue: v } })),
    });
    const body = {
      resourceSpans: [
        { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'py-agent' } }, { key: 'session.id', value: { stringValue: 'resource-session' } }] },
          scopeSpans: [{ spans: [span('0000000000000001', [['mcp.session.id', 'mcp-session-1']]), span('0000000000000002', []), span('zz', []), span('0000000000000003', [['session.id', 'a b/c']])] }] },
      ],
    };
    const res = await request(`${s.gateway.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.gateway.token}` }, body: JSON.stringify(body) });
    expect(res.statusCode).toBe(200);
    const answer = (await res.body.json()) as { partialSuccess?: { rejectedSpans: number; errorMessage: string } };
    expect(answer.partialSuccess?.rejectedSpans).toBe(1);
    expect(answer.partialSuccess?.errorMessage).toMatch(/invalid span id/);
    await s.gateway.close();
    const files = (await readdir(s.dir)).filter((f) => f.endsWith('.jsonl.gz')).sort();
    expect(files).toHaveLength(3);
    expect(files).toContain('mcp-session-1.jsonl.gz');
    expect(files).toContain('resource-session.jsonl.gz');
    expect(files.find((f) => f.startsWith('otlp-a_b_c-'))).toBeDefined();
  });

  it('refuses malformed protobuf, a wrong content type, an oversized body and a missing token, storing nothing', async () => {
    s = await setup({ idleMs: 60_000 });
    const url = `${s.gateway.url}/v1/traces`;
    const auth = { authorization: `Bearer ${s.gateway.token}` };
    const post = async (headers: Record<string, string>, body: Buffer | string) => {
      const res = await request(url, { method: 'POST', headers, body });
      const text = await res.body.text();
      return { status: res.statusCode, text };
    };
    const bad = await post({ ...auth, 'content-type': 'application/x-protobuf' }, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/malformed OTLP protobuf/);
    const wrongType = await post({ ...auth, 'content-type': 'text/plain' }, 'hello');
    expect(wrongType.status).toBe(415);
    expect(wrongType.text).toMatch(/application\/x-protobuf or application\/json/);
    const big = await post({ ...auth, 'content-type': 'application/x-protobuf' }, Buffer.alloc(10 * 1024 * 1024, 1));
    expect(big.status).toBe(413);
    expect(big.text).toMatch(/larger than 4194304 bytes/);
    const bomb = await post({ ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(Buffer.alloc(10 * 1024 * 1024, 32)));
    expect(bomb.status).toBe(413);
    expect(bomb.text).toMatch(/decompressed body larger/);
    const badGzip = await post({ ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'not gzip');
    expect(badGzip.status).toBe(400);
    const badJson = await post({ ...auth, 'content-type': 'application/json' }, '{"resourceSpans": [{"scopeSpans": 5}]}');
    expect(badJson.status).toBe(400);
    expect(badJson.text).toMatch(/malformed OTLP JSON at resourceSpans.0.scopeSpans/);
    const deep = await post({ ...auth, 'content-type': 'application/json' }, `{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(5000)}${']}}'.repeat(5000)}}]}}]}`);
    expect(deep.status).toBe(400);
    expect(deep.text).toMatch(/nested deeper/);
    const valid = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '2'.repeat(32), spanId: '3'.repeat(16), name: 'x', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] });
    const noToken = await post({ 'content-type': 'application/json' }, valid);
    expect(noToken.status).toBe(403);
    expect(noToken.text).toMatch(/access token/);
    await s.gateway.close();
    expect((await readdir(s.dir)).filter((f) => !f.startsWith('.') && f !== 'live')).toEqual([]);
  });
});
