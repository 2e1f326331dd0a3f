import { describe, expect, it } from 'vitest';
import { SessionEventSchema } from '../../src/core/events.js';
import { SessionMetaSchema } from '../../src/core/session.js';
import { SpanSchema } from '../../src/core/span.js';

const span = {
  trace_id: '0af7651916cd43dd8448eb211c80319c',
  span_id: 'b7ad6b7169203331',
  name: 'tools/call read_file',
  kind: 'SERVER',
  start_time: '2026-01-01T12:00:00.123456Z',
  end_time: '2026-01-01T12:00:00.223456Z',
  status: { status_code: 'OK' },
  attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'read_file', 'jsonrpc.request.id': 1 },
  events: [{ name: 'notifications/progress', time: '2026-01-01T12:00:00.150000Z', attributes: { progress: 1 } }],
};

describe('SpanSchema', () => {
  it('accepts the trace contract', () => {
    expect(SpanSchema.parse(span)).toEqual(span);
  });

  it.each([
    ['bad trace id', { trace_id: 'xyz' }],
    ['bad span id', { span_id: '0000000000000000' }],
    ['bad kind', { kind: 'SIDEWAYS' }],
    ['local time', { start_time: '2026-01-01 12:00' }],
    ['object attribute', { attributes: { a: { nested: true } } }],
  ])('rejects %s', (_label, patch) => {
    expect(SpanSchema.safeParse({ ...span, ...patch }).success).toBe(false);
  });
});

describe('SessionMetaSchema', () => {
  it('accepts a finished session and rejects a bad id', () => {
    const meta = {
      id: 'abc123',
      title: 't',
      engine: 'proxy',
      status: 'failed',
      reason: 'abandoned',
      started_at: span.start_time,
      ended_at: span.end_time,
      duration_ms: 100,
      span_count: 2,
      error_count: 1,
    };
    expect(SessionMetaSchema.parse(meta)).toEqual(meta);
    expect(SessionMetaSchema.safeParse({ ...meta, id: '../x' }).success).toBe(false);
  });
});

describe('SessionEventSchema', () => {
  it('discriminates by type', () => {
    const e = SessionEventSchema.parse({ id: 'b-1', time: span.start_time, session_id: 'abc123', type: 'WaitingOnSignal', signal: 'approve', method: 'tools/call' });
    expect(e.type).toBe('WaitingOnSignal');
    expect(SessionEventSchema.safeParse({ id: 'b-1', time: span.start_time, session_id: 'abc123', type: 'Nope' }).success).toBe(false);
  });
});
