import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { context, trace, SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { request, Agent } from 'undici';
import type { Span } from '../src/core/span.js';
import { startGateway } from '../src/http/startGateway.js';
import { createRedactor } from '../src/instrumentation/redaction.js';
import { groupSpans } from '../src/otel/groupSpans.js';
import { fromReadableSpan } from '../src/otel/readableSpan.js';
import { createTraceWriter } from '../src/store/traceWriter.js';
import { fmt, type BenchRow, type BenchSuite } from './benchRow.js';

const SPANS = 40_000;
const PER_REQUEST = 512;
const SESSIONS = 8;

/** Realistic MCP spans from the OpenTelemetry SDK: SESSIONS traces, ~1 KB of attributes each. */
function makeSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench-agent' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('bench');
  const roots = Array.from({ length: SESSIONS }, (_, i) => tracer.startSpan(`agent run ${i}`));
  for (let i = 0; i < SPANS - SESSIONS; i++) {
    const ctx = trace.setSpan(context.active(), roots[i % SESSIONS]!);
    const s = tracer.startSpan('tools/call read_file', {
      kind: SpanKind.CLIENT,
      attributes: {
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'read_file',
        'jsonrpc.request.id': i,
        'mcp.rpc.request_json': JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'read_file', arguments: { path: `/home/user/project/src/file${i}.ts` } } }),
        'mcp.rpc.response_json': JSON.stringify({ jsonrpc: '2.0', id: i, result: { content: [{ type: 'text', text: `contents of file ${i} `.repeat(30) }] } }),
      },
    }, ctx);
    s.end();
  }
  for (const r of roots) r.end();
  return memory.getFinishedSpans();
}

/** Ingest: protobuf export requests POSTed to a gateway (4 in flight); ms until every session is closed on disk. */
async function ingest(dir: string, bodies: Uint8Array[]): Promise<number> {
  const gateway = await startGateway({ host: '127.0.0.1', port: 0, tracesDir: dir, otlp: { idleMs: 60_000 }, log: () => undefined });
  const dispatcher = new Agent({ connections: 4 });
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await request(`${gateway.url}/v1/traces`, { method: 'POST', dispatcher, body, headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${gateway.token}` } });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`ingest answered ${res.statusCode}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await gateway.close(); // closes the pooled writers: every span is on disk
  const ms = performance.now() - t0;
  await dispatcher.close();
  return ms;
}

/** Our file writer alone, on the same spans already converted: ms from first write to closed. */
async function writerAlone(dir: string, sessions: Array<{ key: { sessionId: string }; spans: Span[] }>): Promise<number> {
  const t0 = performance.now();
  const writers = sessions.map(({ key }) => createTraceWriter({ tracesDir: dir, sessionId: key.sessionId, title: 'bench', engine: 'otlp' }));
  sessions.forEach(({ spans }, i) => {
    for (const s of spans) writers[i]!.write(s);
  });
  await Promise.all(writers.map((w) => w.close()));
  return performance.now() - t0;
}

/** OTLP ingest throughput (protobuf, spans/s) beside our file writer's spans/s on the same spans. */
export const otelBench: BenchSuite = async () => {
  const spans = makeSpans();
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < spans.length; i += PER_REQUEST) bodies.push(ProtobufTraceSerializer.serializeRequest(spans.slice(i, i + PER_REQUEST))!);
  const root = await mkdtemp(join(tmpdir(), 'otel-bench-'));
  try {
    let ingestMs = Infinity;
    let writerMs = Infinity;
    for (let round = 0; round < 3; round++) {
      ingestMs = Math.min(ingestMs, await ingest(join(root, `ingest-${round}`), bodies));
      const grouped = groupSpans(spans.map(fromReadableSpan), createRedactor()).sessions;
      writerMs = Math.min(writerMs, await writerAlone(join(root, `writer-${round}`), grouped));
    }
    const ingestRate = (spans.length * 1000) / ingestMs;
    const writerRate = (spans.length * 1000) / writerMs;
    const row: BenchRow = {
      name: `OTLP ingest, protobuf (${fmt(spans.length)} spans, ${PER_REQUEST}/request, ${SESSIONS} sessions)`,
      measured: `${fmt(ingestRate)} spans/s`,
      baseline: `our file writer alone ${fmt(writerRate)} spans/s (${fmt((100 * ingestRate) / writerRate)}%)`,
      target: 'reported beside the writer',
      ok: true,
    };
    return [row];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
};
