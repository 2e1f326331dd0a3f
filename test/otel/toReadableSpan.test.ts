import { describe, expect, it } from 'vitest';
import type { Span } from '../../src/core/span.js';
import { createRedactor } from '../../src/instrumentation/redaction.js';
import { fromReadableSpan } from '../../src/otel/readableSpan.js';
import { toTraceSpan } from '../../src/otel/otelSpan.js';
import { isoToHrTime, plainResource, toReadableSpan } from '../../src/otel/toReadableSpan.js';

const span: Span = {
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  span_id: '00f067aa0ba902b7',
  parent_span_id: '1111111111111111',
  name: 'tools/call echo',
  kind: 'SERVER',
  start_time: '2026-12-04T16:00:00.123456Z',
  end_time: '2026-12-04T16:00:01.000001Z',
  status: { status_code: 'ERROR', description: 'tool failed' },
  attributes: { 'mcp.method.name': 'tools/call', 'jsonrpc.request.id': '7', n: 3, ok: true, list: ['a', 'b'] },
  events: [{ name: 'notifications/progress', time: '2026-12-04T16:00:00.500000Z', attributes: { 'mcp.progress': 1 } }, { name: 'bare', time: '2026-12-04T16:00:00.600000Z' }],
};

describe('toReadableSpan', () => {
  it('round-trips through the SDK shape the ingest reads back: the same span', () => {
    const readable = toReadableSpan(span, { resource: plainResource({ 'service.name': 'svc' }), scope: { name: 'mcpscope' } });
    expect(toTraceSpan(fromReadableSpan(readable), createRedactor({ enabled: false }))).toEqual(span);
    expect(readable.kind).toBe(1);
    expect(readable.status).toEqual({ code: 2, message: 'tool failed' });
    expect(readable.duration).toEqual([0, 876_545_000]);
  });

  it('keeps a root span without a parent', () => {
    const { parent_span_id: _drop, ...root } = span;
    expect(toReadableSpan(root, { resource: plainResource({}), scope: { name: 'x' } }).parentSpanContext).toBeUndefined();
  });

  it('reads timestamps exactly, with or without fraction digits', () => {
    expect(isoToHrTime('2026-12-04T16:00:00Z')).toEqual([Date.UTC(2026, 11, 4, 16) / 1000, 0]);
    expect(isoToHrTime('2026-12-04T16:00:00.000001Z')[1]).toBe(1000);
    expect(isoToHrTime('2026-12-04T16:00:00.123456789Z')[1]).toBe(123_456_789);
  });
});
