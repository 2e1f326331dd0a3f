import { afterEach, describe, expect, it } from 'vitest';
import type { Span } from '../../src/core/span.js';
import type { SpanBatch } from '../../src/core/spanExporter.js';
import { createRedactor } from '../../src/instrumentation/redaction.js';
import { toTraceSpan } from '../../src/otel/otelSpan.js';
import { startOtlpExport } from '../../src/otel/otlpExport.js';
import { deadEndpoint, startOtlpReceiver, type OtlpReceiver } from './otlpReceiver.js';

const span = (i: number): Span => ({
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  span_id: (0x1000 + i).toString(16).padStart(16, '0'),
  name: `tools/call t${i}`,
  kind: 'SERVER',
  start_time: '2026-12-04T16:00:00.000001Z',
  end_time: '2026-12-04T16:00:00.002001Z',
  status: { status_code: 'OK' },
  attributes: { 'mcp.method.name': 'tools/call', i },
});
const batch = (spans: Span[]): SpanBatch => {
  const lines = spans.map((s) => JSON.stringify(s));
  return { spans, lines, errors: 0, chars: lines.reduce((n, l) => n + l.length + 1, 0) };
};
const config = (url: string, timeoutMs = 2000) => ({ url: `${url}/v1/traces`, protocol: 'http/protobuf' as const, headers: {}, serviceName: 'svc', resourceAttributes: {}, timeoutMs });

describe('startOtlpExport on this thread (the fallback when the worker module is not built)', () => {
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('delivers each session\'s batches under its service name; flush waits for them', async () => {
    receiver = await startOtlpReceiver();
    const otlp = await startOtlpExport(config(receiver.url), { worker: false, log: () => undefined });
    const a = otlp.exporterFor();
    const b = otlp.exporterFor({ serviceName: 'ingested-agent' });
    a.export(batch([span(1), span(2)]));
    b.export(batch([span(3)]));
    await Promise.all([a.forceFlush(), b.forceFlush()]);
    const got = receiver.spans();
    expect(got.map((d) => toTraceSpan(d, createRedactor({ enabled: false }))).sort((x, y) => x.span_id.localeCompare(y.span_id))).toEqual([span(1), span(2), span(3)]);
    expect(Object.fromEntries(got.map((d) => [d.name, d.resource['service.name']]))).toEqual({ 'tools/call t1': 'svc', 'tools/call t2': 'svc', 'tools/call t3': 'ingested-agent' });
    expect([a.dropped(), b.dropped()]).toEqual([0, 0]);
    expect(otlp.stats()).toEqual({ sent: 3, dropped: 0, queued: 0 });
    await otlp.shutdown();
    // After shutdown nothing more is taken.
    a.export(batch([span(4)]));
    expect(otlp.stats().queued).toBe(0);
  });

  it('counts what a dead collector loses per session, and reports it on the log at most once per interval (the rest at shutdown)', async () => {
    const lines: string[] = [];
    const otlp = await startOtlpExport(config(await deadEndpoint(), 500), { worker: false, log: (l) => lines.push(l), reportIntervalMs: 60_000, maxQueue: 3 });
    const a = otlp.exporterFor();
    a.export(batch([span(1), span(2), span(3), span(4)]));
    expect(a.dropped()).toBe(1);
    await a.forceFlush();
    expect(a.dropped()).toBe(4);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mcpscope: otlp export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces: 1 span dropped \(queue full \(3 spans\)\); 1 in total$/);
    await otlp.shutdown();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/: 3 spans dropped \(.+\); 4 in total$/);
  });
});
