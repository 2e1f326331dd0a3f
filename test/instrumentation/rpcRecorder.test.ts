import { describe, expect, it } from 'vitest';
import { isInspectorError } from '../../src/core/errors.js';
import { Attr, type Span } from '../../src/core/span.js';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { createRpcRecorder, type RpcRecorderOptions } from '../../src/instrumentation/index.js';
import { only, validSpans } from './mcpPair.js';

function recorder(extra: Partial<RpcRecorderOptions> = {}) {
  const sink = new InMemorySpanSink();
  const rec = createRpcRecorder({ sink, sessionId: 'proxy-session', transport: 'stdio', ...extra });
  const spans = (): Span[] => {
    rec.flush();
    return validSpans(sink.spans);
  };
  return { sink, rec, spans };
}

const line = (value: unknown): [unknown, string] => {
  const raw = JSON.stringify(value);
  return [JSON.parse(raw), raw];
};

describe('createRpcRecorder', () => {
  it('keeps requests with the same id in opposite directions apart, and 1 apart from "1"', () => {
    const { rec, spans } = recorder();
    rec.received(...line({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a', arguments: {} } }));
    rec.sent(...line({ jsonrpc: '2.0', id: 1, method: 'sampling/createMessage', params: { maxTokens: 5, messages: [] } }));
    rec.received(...line({ jsonrpc: '2.0', id: '1', method: 'ping' }));
    expect(rec.openRequests()).toBe(3);
    rec.received(...line({ jsonrpc: '2.0', id: 1, result: { model: 'm' } })); // answers the sent request
    rec.sent(...line({ jsonrpc: '2.0', id: '1', result: {} })); // answers the received ping
    rec.sent(...line({ jsonrpc: '2.0', id: 1, result: { content: [] } })); // answers the received tools/call
    expect(rec.openRequests()).toBe(0);
    const all = spans();
    expect(all.map((s) => s.name)).toEqual(['sampling/createMessage', 'ping', 'tools/call a']);
    const sampling = only(all, 'sampling/createMessage');
    expect(sampling).toMatchObject({ kind: 'CLIENT', attributes: { [Attr.DIRECTION]: 'outbound', [Attr.NETWORK_TRANSPORT]: 'pipe' } });
    expect(JSON.parse(sampling.attributes[Attr.RESPONSE_JSON] as string).result.model).toBe('m');
    expect(only(all, 'tools/call a')).toMatchObject({ kind: 'SERVER', attributes: { [Attr.DIRECTION]: 'inbound' } });
    expect(rec.stats()).toEqual({ requests: 3, toolCalls: 1, errors: 0, spans: 3 });
  });

  it('redacts a secret in the error text of a failing tool wherever it lands: status, error message and response', () => {
    const { rec, spans } = recorder();
    rec.received(...line({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'fetch', arguments: {} } }));
    rec.sent(...line({ jsonrpc: '2.0', id: 3, result: { isError: true, content: [{ type: 'text', text: 'upstream refused Authorization: Bearer abcdefghijklmnopqrstuv' }] } }));
    const span = only(spans(), 'tools/call fetch');
    expect(span.status.status_code).toBe('ERROR');
    for (const text of [span.status.description, span.attributes[Attr.ERROR_MESSAGE], span.attributes[Attr.RESPONSE_JSON]]) {
      expect(text).toContain('upstream refused');
      expect(text).not.toContain('abcdefghijklmnopqrstuv');
    }
  });

  it('reuses the raw line for request_json and response_json', () => {
    const { rec, spans } = recorder();
    const raw = '{ "jsonrpc": "2.0", "id": 7, "method": "tools/list" }';
    rec.received(JSON.parse(raw), raw);
    const resp = '{"jsonrpc":"2.0","id":7,"result":{"tools":[]}}  ';
    rec.sent(JSON.parse(resp), resp);
    const span = only(spans(), 'tools/list');
    expect(span.attributes[Attr.REQUEST_JSON]).toBe(raw);
    expect(span.attributes[Attr.RESPONSE_JSON]).toBe(resp);
  });

  it('caps *_json attributes at 30 KB with a _truncated flag', () => {
    const { rec, spans } = recorder();
    const big = 'é'.repeat(40_000);
    rec.received(...line({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'big', arguments: { big } } }));
    rec.sent(...line({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'ok' }] } }));
    const span = only(spans(), 'tools/call big');
    for (const key of [Attr.REQUEST_JSON, Attr.TOOL_INPUT_JSON]) {
      expect(Buffer.byteLength(span.attributes[key] as string)).toBeLessThanOrEqual(30 * 1024);
      expect(span.attributes[`${key}_truncated`]).toBe(true);
    }
    expect(span.attributes[`${Attr.RESPONSE_JSON}_truncated`]).toBeUndefined();

    const small = recorder({ jsonCapBytes: 100 });
    small.rec.received(...line({ jsonrpc: '2.0', id: 1, method: 'x', params: { pad: 'y'.repeat(500) } }));
    small.rec.close();
    expect((small.spans()[0]!.attributes[Attr.REQUEST_JSON] as string).length).toBe(100);
  });

  it('records malformed and invalid input as ERROR jsonrpc.invalid spans', () => {
    const { rec, spans } = recorder();
    rec.malformed('received', '{"jsonrpc":"2.0", "id": 1, "method": tools/call', 'Unexpected token');
    rec.malformed('sent', '{"hello":"world"}', 'not JSON-RPC');
    rec.received(42);
    rec.received({ jsonrpc: '1.0', id: 1, method: 'x' });
    rec.received({ jsonrpc: '2.0', id: { nested: true }, method: 'x' });
    rec.received([]);
    rec.sent(undefined);
    const all = spans();
    expect(all).toHaveLength(7);
    for (const s of all) {
      expect(s.name).toBe('jsonrpc.invalid');
      expect(s.status.status_code).toBe('ERROR');
    }
    expect(all.map((s) => s.attributes[Attr.ERROR_TYPE])).toEqual(['parse_error', 'invalid_request', 'invalid_request', 'invalid_request', 'invalid_request', 'invalid_request', 'invalid_request']);
    expect(all[0]!.attributes[Attr.DIRECTION]).toBe('inbound');
    expect(all[1]!.attributes[Attr.DIRECTION]).toBe('outbound');
    expect(all[0]!.attributes[Attr.REQUEST_JSON]).toContain('tools/call');
    expect(rec.stats()).toMatchObject({ errors: 7, spans: 7, requests: 0 });
  });

  it('handles batches element by element', () => {
    const { rec, spans } = recorder();
    rec.received([
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'prompts/list' },
    ]);
    rec.sent([
      { jsonrpc: '2.0', id: 2, result: { prompts: [] } },
      { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'internal' } },
    ]);
    const all = spans();
    expect(all.map((s) => s.name)).toEqual(['notifications/initialized', 'prompts/list', 'tools/list']);
    expect(only(all, 'tools/list').status).toEqual({ status_code: 'ERROR', description: 'internal' });
    expect(only(all, 'notifications/initialized').kind).toBe('SERVER');
  });

  it('ends a cancelled request as ERROR and drops the late answer', () => {
    const { rec, spans } = recorder();
    rec.received(...line({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'slow', arguments: {} } }));
    rec.received(...line({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3, reason: 'user hit stop' } }));
    rec.sent(...line({ jsonrpc: '2.0', id: 3, result: { content: [] } }));
    const span = only(spans(), 'tools/call slow');
    expect(span.status).toEqual({ status_code: 'ERROR', description: 'cancelled: user hit stop' });
    expect(span.events?.map((e) => e.name)).toEqual(['notifications/cancelled']);
    expect(spans()).toHaveLength(1);
  });

  it('records an error answer with a null id, and a reused id ends the earlier request', () => {
    const { rec, spans } = recorder();
    rec.sent(...line({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
    rec.received(...line({ jsonrpc: '2.0', id: 5, method: 'ping' }));
    rec.received(...line({ jsonrpc: '2.0', id: 5, method: 'tools/list' }));
    const all = spans();
    expect(only(all, 'jsonrpc.error').attributes[Attr.ERROR_CODE]).toBe(-32700);
    expect(only(all, 'ping').attributes[Attr.ERROR_TYPE]).toBe('duplicate_request_id');
    expect(rec.openRequests()).toBe(1);
  });

  it('ends open requests on close, once, and ignores traffic afterwards', () => {
    const { rec, spans } = recorder();
    rec.received(...line({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't' } }));
    rec.sent(...line({ jsonrpc: '2.0', id: 9, method: 'roots/list' }));
    rec.close();
    rec.close('again');
    rec.sent(...line({ jsonrpc: '2.0', id: 1, result: {} }));
    rec.received(...line({ jsonrpc: '2.0', id: 2, method: 'ping' }));
    rec.malformed('received', 'x', 'y');
    const all = spans();
    expect(all).toHaveLength(2);
    for (const s of all) expect(s.status).toEqual({ status_code: 'ERROR', description: 'connection closed' });
    expect(rec.openRequests()).toBe(0);
  });

  it('continues an inbound traceparent unless propagate is false; ignores a bad one', () => {
    const traceId = 'a'.repeat(32);
    const parent = 'b'.repeat(16);
    const msg = (tp: string) => ({ jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: { traceparent: tp, tracestate: 'k=v' } } });
    const on = recorder();
    const ctx = on.rec.received(msg(`00-${traceId}-${parent}-01`));
    expect(ctx).toMatchObject({ traceId, traceState: 'k=v' });
    on.rec.sent({ jsonrpc: '2.0', id: 1, result: {} });
    expect(on.spans()[0]).toMatchObject({ trace_id: traceId, parent_span_id: parent, span_id: ctx!.spanId });

    const off = recorder({ propagate: false, traceId: 'c'.repeat(32) });
    off.rec.received(msg(`00-${traceId}-${parent}-01`));
    off.rec.close();
    expect(off.spans()[0]!.trace_id).toBe('c'.repeat(32));
    expect(off.spans()[0]!.parent_span_id).toBeUndefined();

    const bad = recorder();
    bad.rec.received(msg(`00-${'0'.repeat(32)}-${parent}-01`));
    bad.rec.close();
    expect(bad.spans()[0]!.trace_id).toBe(bad.rec.traceId);
  });

  it('redacts secrets from raw lines, tool input and output', () => {
    const { rec, spans } = recorder();
    rec.received(
      ...line({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'fetch', arguments: { url: 'https://x.test/?api_key=abc123', headers: { Authorization: 'Bearer s3cr3t-t0ken-value' } }, _meta: { progressToken: 'tok-1' } },
      }),
    );
    rec.sent(...line({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'your password is hunter2' }], password: 'hunter2' } }));
    const span = only(spans(), 'tools/call fetch');
    const text = JSON.stringify(span.attributes);
    expect(text).not.toMatch(/abc123|s3cr3t/);
    expect(JSON.parse(span.attributes[Attr.RESPONSE_JSON] as string).result.password).toBe('[REDACTED]');
    expect(JSON.parse(span.attributes[Attr.REQUEST_JSON] as string).params.arguments.headers.Authorization).toBe('[REDACTED]');
    expect(JSON.parse(span.attributes[Attr.REQUEST_JSON] as string).params._meta.progressToken).toBe('tok-1');
    expect(span.attributes[Attr.TOOL_OUTPUT_JSON]).toBeUndefined();
  });

  it('never throws into the traffic: a throwing sink goes to onError', () => {
    const errors: unknown[] = [];
    const rec = createRpcRecorder({
      sink: { write: () => { throw new Error('full'); }, flush: async () => {}, close: async () => {} },
      sessionId: 'throwing-sink',
      transport: 'stdio',
      onError: (e) => { errors.push(e); throw new Error('handler also throws'); },
    });
    expect(() => {
      rec.received({ jsonrpc: '2.0', id: 1, method: 'ping' });
      rec.sent({ jsonrpc: '2.0', id: 1, result: {} });
      rec.close();
    }).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(rec.stats().spans).toBe(1);
  });

  it('writes spans on the next event-loop turn without being asked, off the hot path', async () => {
    const { rec, sink } = recorder();
    rec.received({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    rec.sent({ jsonrpc: '2.0', id: 1, result: { tools: [] } });
    expect(sink.spans).toHaveLength(0); // queued, not yet built
    await new Promise((r) => setImmediate(r));
    expect(validSpans(sink.spans).map((s) => s.name)).toEqual(['tools/list']);
    rec.received({ jsonrpc: '2.0', id: 2, method: 'ping' });
    rec.sent({ jsonrpc: '2.0', id: 2, result: {} });
    expect(rec.stats().spans).toBe(2); // stats() writes what is queued first
    expect(sink.spans).toHaveLength(2);
  });

  it('rejects bad options with INVALID_ARGUMENT', () => {
    const sink = new InMemorySpanSink();
    for (const bad of [
      { sink, sessionId: '../etc', transport: 'stdio' },
      { sink, sessionId: 'good-session', transport: '' },
      { sink, sessionId: 'good-session', transport: 'stdio', traceId: 'nope' },
      { sink: {} as never, sessionId: 'good-session', transport: 'stdio' },
      { sink, sessionId: 'good-session', transport: 'stdio', jsonCapBytes: -1 },
    ]) {
      let caught: unknown;
      try {
        createRpcRecorder(bad as RpcRecorderOptions);
      } catch (err) {
        caught = err;
      }
      expect(isInspectorError(caught, 'INVALID_ARGUMENT'), JSON.stringify(bad)).toBe(true);
    }
  });
});
