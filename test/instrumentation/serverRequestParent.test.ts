import { describe, expect, it } from 'vitest';
import { type Span } from '../../src/core/span.js';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { createRpcRecorder } from '../../src/instrumentation/index.js';
import { only, validSpans } from './mcpPair.js';

/** A recorder seen as the proxy sees it: received = from the client, sent = to the client. */
function proxySide() {
  const sink = new InMemorySpanSink();
  const rec = createRpcRecorder({ sink, sessionId: 'proxy-session', transport: 'stdio' });
  const spans = (): Span[] => {
    rec.flush();
    return validSpans(sink.spans);
  };
  return { rec, spans };
}

const call = (id: number, name: string, progressToken?: string) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: {}, ...(progressToken === undefined ? {} : { _meta: { progressToken } }) },
});
const sampling = (id: number, meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'sampling/createMessage',
  params: { maxTokens: 5, messages: [], ...(meta === undefined ? {} : { _meta: meta }) },
});
const ok = (id: number) => ({ jsonrpc: '2.0', id, result: { content: [] } });

describe('server-to-client request parents', () => {
  it('nests a sampling request under the one tool call open, even when the call ends first', () => {
    const { rec, spans } = proxySide();
    rec.received(call(1, 'ask'));
    rec.received({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'x', progress: 1 } });
    rec.sent(sampling(0));
    rec.sent(ok(1));
    rec.received({ jsonrpc: '2.0', id: 0, result: { model: 'm', role: 'assistant', content: { type: 'text', text: 'hi' } } });
    const all = spans();
    const tool = only(all, 'tools/call ask');
    const child = only(all, 'sampling/createMessage');
    expect(child.parent_span_id).toBe(tool.span_id);
    expect(child.trace_id).toBe(tool.trace_id);
    expect(tool.parent_span_id).toBeFalsy();
  });

  it('nests elicitation and roots requests too, but not a ping or a request in the same direction', () => {
    const { rec, spans } = proxySide();
    rec.received(call(1, 'ask'));
    rec.sent({ jsonrpc: '2.0', id: 10, method: 'elicitation/create', params: { message: 'name?', requestedSchema: { type: 'object', properties: {} } } });
    rec.sent({ jsonrpc: '2.0', id: 11, method: 'roots/list' });
    rec.sent({ jsonrpc: '2.0', id: 12, method: 'ping' });
    for (const id of [10, 11, 12]) rec.received({ jsonrpc: '2.0', id, result: {} });
    rec.sent(ok(1));
    const all = spans();
    const tool = only(all, 'tools/call ask');
    expect(only(all, 'elicitation/create').parent_span_id).toBe(tool.span_id);
    expect(only(all, 'roots/list').parent_span_id).toBe(tool.span_id);
    expect(only(all, 'ping').parent_span_id).toBeFalsy();
  });

  it('leaves it unparented with two calls open and no link, and when no call is open', () => {
    const { rec, spans } = proxySide();
    rec.received(call(1, 'a'));
    rec.received(call(2, 'b'));
    rec.sent(sampling(0));
    rec.received(ok(0));
    rec.sent(ok(1));
    rec.sent(ok(2));
    rec.sent(sampling(3));
    rec.received(ok(3));
    const samplings = spans().filter((s) => s.name === 'sampling/createMessage');
    expect(samplings).toHaveLength(2);
    for (const s of samplings) expect(s.parent_span_id).toBeFalsy();
  });

  it('with several calls open, follows the progress token the request names, and keeps that call\'s progress events', () => {
    const { rec, spans } = proxySide();
    rec.received(call(1, 'a', 'tok-a'));
    rec.received(call(2, 'b', 'tok-b'));
    rec.sent(sampling(0, { progressToken: 'tok-b' }));
    rec.sent({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok-b', progress: 1, total: 2 } });
    rec.sent(sampling(5, { progressToken: 'nobody' }));
    rec.received(ok(0));
    rec.received(ok(5));
    rec.sent(ok(1));
    rec.sent(ok(2));
    const all = spans();
    const b = only(all, 'tools/call b');
    const [linked, unlinked] = all.filter((s) => s.name === 'sampling/createMessage').sort((x, y) => x.attributes['jsonrpc.request.id'] === '0' ? -1 : y.attributes['jsonrpc.request.id'] === '0' ? 1 : 0);
    expect(linked!.parent_span_id).toBe(b.span_id);
    expect(unlinked!.parent_span_id).toBeFalsy();
    expect(b.events?.map((e) => e.name)).toEqual(['notifications/progress']);
  });

  it('lets a traceparent the request carries win over the open call', () => {
    const { rec, spans } = proxySide();
    rec.received(call(1, 'a'));
    const traceId = 'a'.repeat(32);
    const spanId = 'b'.repeat(16);
    rec.sent(sampling(0, { traceparent: `00-${traceId}-${spanId}-01` }));
    rec.received(ok(0));
    rec.sent(ok(1));
    const child = only(spans(), 'sampling/createMessage');
    expect(child.parent_span_id).toBe(spanId);
    expect(child.trace_id).toBe(traceId);
  });

  it('on the client side, nests a received sampling request under the client\'s sent call', () => {
    const { rec, spans } = proxySide();
    rec.sent(call(1, 'a'));
    rec.received(sampling(0));
    rec.sent(ok(0));
    rec.received(ok(1));
    const all = spans();
    expect(only(all, 'sampling/createMessage').parent_span_id).toBe(only(all, 'tools/call a').span_id);
  });

  it('keeps the nesting when the call is still open at close (abandoned span)', () => {
    const { rec, spans } = proxySide();
    rec.received(call(1, 'a'));
    rec.sent(sampling(0));
    rec.close('peer died');
    const all = spans();
    const tool = only(all, 'tools/call a');
    expect(tool.status.status_code).toBe('ERROR');
    expect(only(all, 'sampling/createMessage').parent_span_id).toBe(tool.span_id);
  });
});
