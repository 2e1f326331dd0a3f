import { context, trace, SpanStatusCode, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Deterministic ids, so two runs of the same app produce the same spans. */
function idGenerator() {
  let n = 0;
  return {
    generateTraceId: () => 'abcdef0123456789abcdef0123456789',
    generateSpanId: () => (++n).toString(16).padStart(16, '0'),
  };
}

/**
 * A small instrumented "agent": a root span with two children (one an error with an event),
 * fixed times and ids, a secret header, a secret inside a JSON attribute and an oversize JSON
 * attribute. `between` runs after the first child has been exported, before the rest.
 */
export async function runOtelApp(exporter: SpanExporter, between?: () => Promise<void>): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'node-agent', 'service.version': '1.2.3' }),
    idGenerator: idGenerator(),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('otel-app');
  const t0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z in ms
  const root = tracer.startSpan('agent run', { kind: SpanKind.INTERNAL, startTime: [t0 / 1000, 123_456_789] });
  const ctx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan('tools/call read_file', {
    kind: SpanKind.CLIENT,
    startTime: [t0 / 1000, 200_000_000],
    attributes: {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'read_file',
      'http.request.header.authorization': 'Bearer sekret-token-123456',
      'mcp.rpc.request_json': JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'read_file', arguments: { path: '/a', api_key: 'k-123' } } }),
      'mcp.tool.output_json': JSON.stringify({ text: 'x'.repeat(40_000) }),
      'retry.count': 2,
      'tags.list': ['a', 'b'],
    },
  }, ctx);
  child.end([t0 / 1000, 250_000_500]);
  await provider.forceFlush();
  await between?.();
  const failing = tracer.startSpan('tools/call write_file', { kind: SpanKind.CLIENT, startTime: [t0 / 1000, 300_000_000], attributes: { 'mcp.method.name': 'tools/call' } }, ctx);
  failing.addEvent('exception', { 'exception.message': 'disk full' }, [t0 / 1000, 310_000_000]);
  failing.setStatus({ code: SpanStatusCode.ERROR, message: 'disk full' });
  failing.end([t0 / 1000, 320_000_000]);
  root.setStatus({ code: SpanStatusCode.OK });
  root.end([t0 / 1000 + 1, 0]);
  await provider.forceFlush();
  await provider.shutdown();
}

/** The session id both paths give the app's trace (one session per trace id). */
export const APP_SESSION_ID = 'otlp-abcdef0123456789abcdef0123456789';
