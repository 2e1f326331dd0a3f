import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isInspectorError } from '../../src/core/errors.js';
import { Attr } from '../../src/core/span.js';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { instrumentTransport, transportNameOf } from '../../src/instrumentation/index.js';
import { connectPair, createTestServer, only, validSpans, type Pair } from './mcpPair.js';

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('instrumentTransport', () => {
  it('records tools/call on both sides with both attribute vocabularies and stitches the trace', async () => {
    pair = await connectPair();
    const result = await pair.client.callTool({ name: 'echo', arguments: { text: 'hi there' } });
    expect(result.content).toEqual([{ type: 'text', text: 'hi there' }]);
    pair.flush();

    const server = only(validSpans(pair.serverSink.spans), 'tools/call echo');
    expect(server.kind).toBe('SERVER');
    expect(server.status.status_code).toBe('OK');
    expect(server.attributes).toMatchObject({
      [Attr.MCP_METHOD]: 'tools/call',
      [Attr.TOOL_NAME]: 'echo',
      [Attr.DIRECTION]: 'inbound',
      [Attr.TRANSPORT]: 'in-memory',
      [Attr.SESSION_ID]: 'server-session',
      [Attr.MCP_SESSION_ID]: 'server-session',
      [Attr.TOOL_INPUT_JSON]: '{"text":"hi there"}',
    });
    // The tool output is kept once, as the response's `result` (docs/trace-format.md, Payloads).
    expect(server.attributes[Attr.TOOL_OUTPUT_JSON]).toBeUndefined();
    expect(JSON.parse(server.attributes[Attr.RESPONSE_JSON] as string).result).toEqual({ content: [{ type: 'text', text: 'hi there' }] });
    expect(JSON.parse(server.attributes[Attr.REQUEST_JSON] as string).params.name).toBe('echo');
    expect(JSON.parse(server.attributes[Attr.RESPONSE_JSON] as string).result.content[0].text).toBe('hi there');

    const client = only(validSpans(pair.clientSink.spans), 'tools/call echo');
    expect(client.kind).toBe('CLIENT');
    expect(client.attributes[Attr.DIRECTION]).toBe('outbound');
    expect(client.attributes[Attr.JSONRPC_REQUEST_ID]).toBe(server.attributes[Attr.JSONRPC_REQUEST_ID]);
    // The client injected traceparent; the server continued it.
    expect(server.trace_id).toBe(client.trace_id);
    expect(server.parent_span_id).toBe(client.span_id);
    expect(pair.serverTransport.recorder.stats()).toMatchObject({ toolCalls: 1, errors: 0 });
  });

  it('marks a tool result with isError as an ERROR span', async () => {
    pair = await connectPair();
    const result = await pair.client.callTool({ name: 'fail', arguments: {} });
    expect(result.isError).toBe(true);
    pair.flush();
    const span = only(pair.serverSink.spans, 'tools/call fail');
    expect(span.status).toEqual({ status_code: 'ERROR', description: 'boom: disk full' });
    expect(span.attributes[Attr.ERROR_TYPE]).toBe('tool_error');
    expect(pair.serverTransport.recorder.stats().errors).toBe(1);
  });

  it('records a JSON-RPC error with its code in both vocabularies', async () => {
    pair = await connectPair();
    await expect(pair.client.request({ method: 'no/such/method', params: {} }, z.object({}))).rejects.toThrow(/not found/i);
    pair.flush();
    for (const sink of [pair.serverSink, pair.clientSink]) {
      const span = only(validSpans(sink.spans), 'no/such/method');
      expect(span.status.status_code).toBe('ERROR');
      expect(span.attributes).toMatchObject({
        [Attr.RPC_STATUS_CODE]: '-32601',
        [Attr.ERROR_TYPE]: '-32601',
        [Attr.ERROR_CODE]: -32601,
        [Attr.ERROR_MESSAGE]: 'Method not found',
      });
    }
  });

  it('records resource uri and prompt name', async () => {
    pair = await connectPair();
    await pair.client.readResource({ uri: 'file:///readme.md' });
    await pair.client.getPrompt({ name: 'greet', arguments: { who: 'Ada' } });
    pair.flush();
    const spans = validSpans(pair.serverSink.spans);
    expect(only(spans, 'resources/read').attributes[Attr.RESOURCE_URI]).toBe('file:///readme.md');
    expect(only(spans, 'prompts/get greet').attributes[Attr.PROMPT_NAME]).toBe('greet');
  });

  it('turns progress and related log notifications into events on their request', async () => {
    pair = await connectPair();
    const seen: number[] = [];
    await pair.client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
    expect(seen).toEqual([1, 2, 3]);
    pair.flush();
    const server = only(validSpans(pair.serverSink.spans), 'tools/call progress');
    expect(server.events?.map((e) => e.name)).toEqual([...Array(3).fill('notifications/progress'), 'notifications/message']);
    expect(server.events?.[2]?.attributes).toEqual({ 'mcp.progress': 3, 'mcp.progress.total': 3, 'mcp.progress.message': 'step 3' });
    expect(server.events?.[3]?.attributes?.['mcp.notification.params_json']).toContain('progress done');
    const client = only(validSpans(pair.clientSink.spans), 'tools/call progress');
    expect(client.events?.filter((e) => e.name === 'notifications/progress')).toHaveLength(3);
    // The progressToken is not a secret.
    expect(JSON.parse(server.attributes[Attr.REQUEST_JSON] as string).params._meta.progressToken).toBeDefined();
    expect(server.attributes[Attr.REQUEST_JSON]).not.toContain('[REDACTED]');
  });

  it('records server-initiated requests as outbound children of the tool call, and keeps colliding ids apart', async () => {
    pair = await connectPair();
    const result = await pair.client.callTool({ name: 'ask', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'sampled / 1 roots' }]);
    pair.flush();
    const spans = validSpans(pair.serverSink.spans);
    const call = only(spans, 'tools/call ask');
    const sampling = only(spans, 'sampling/createMessage');
    const roots = only(spans, 'roots/list');
    for (const s of [sampling, roots]) {
      expect(s.kind).toBe('CLIENT');
      expect(s.attributes[Attr.DIRECTION]).toBe('outbound');
      expect(s.parent_span_id).toBe(call.span_id);
      expect(s.trace_id).toBe(call.trace_id);
    }
    // The server's first request has id 0, like the client's initialize: two different calls.
    const init = only(spans, 'initialize');
    expect(init.attributes[Attr.JSONRPC_REQUEST_ID]).toBe('0');
    expect(sampling.attributes[Attr.JSONRPC_REQUEST_ID]).toBe('0');
    expect(init.kind).toBe('SERVER');
    expect(JSON.parse(sampling.attributes[Attr.RESPONSE_JSON] as string).result.model).toBe('test-model');
    // maxTokens contains "token" but is a number: not redacted.
    expect(JSON.parse(sampling.attributes[Attr.REQUEST_JSON] as string).params.maxTokens).toBe(50);

    const clientSide = only(validSpans(pair.clientSink.spans), 'sampling/createMessage');
    expect(clientSide.kind).toBe('SERVER');
    expect(clientSide.attributes[Attr.DIRECTION]).toBe('inbound');
    expect(clientSide.parent_span_id).toBe(sampling.span_id);
  });

  it('ends requests still open at close as ERROR "connection closed"', async () => {
    pair = await connectPair();
    const pending = pair.client.callTool({ name: 'hang', arguments: {} }).catch((err: unknown) => err);
    await waitFor(() => pair!.serverTransport.recorder.openRequests() === 1, 'the hanging call to arrive');
    await pair.clientTransport.close();
    expect(await pending).toBeInstanceOf(Error);
    for (const sink of [pair.serverSink, pair.clientSink]) {
      const span = only(validSpans(sink.spans), 'tools/call hang');
      expect(span.status).toEqual({ status_code: 'ERROR', description: 'connection closed' });
      expect(span.attributes[Attr.ERROR_TYPE]).toBe('connection_closed');
    }
    expect(pair.serverTransport.recorder.openRequests()).toBe(0);
    expect(pair.clientTransport.recorder.openRequests()).toBe(0);
  });

  it('does not inject or continue trace context with propagate: false', async () => {
    pair = await connectPair({ propagate: false }, { propagate: false });
    await pair.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    pair.flush();
    const server = only(pair.serverSink.spans, 'tools/call echo');
    const client = only(pair.clientSink.spans, 'tools/call echo');
    expect(server.attributes[Attr.REQUEST_JSON]).not.toContain('traceparent');
    expect(server.parent_span_id).toBeUndefined();
    expect(server.trace_id).not.toBe(client.trace_id);
  });

  it('delegates every other property to the inner transport', async () => {
    const inner = new StreamableHTTPClientTransport(new URL('http://127.0.0.1:9/mcp'));
    const sink = new InMemorySpanSink();
    const wrapped = instrumentTransport(inner, { sink, sessionId: 'delegation-test' });
    expect(wrapped.recorder.sessionId).toBe('delegation-test');
    expect(typeof wrapped.setProtocolVersion).toBe('function');
    wrapped.setProtocolVersion!('2025-06-18');
    expect(inner.protocolVersion).toBe('2025-06-18');
    expect(wrapped.sessionId).toBe(inner.sessionId);
    expect(transportNameOf(inner)).toBe('streamable-http');
    const onerror = (): void => {};
    wrapped.onerror = onerror;
    expect(inner.onerror).toBe(onerror);

    const [a] = InMemoryTransport.createLinkedPair();
    a.sessionId = 'inner-session-id';
    const w = instrumentTransport(a, { sink });
    expect(w.sessionId).toBe('inner-session-id');
    expect(w.recorder.sessionId).toBe('inner-session-id');
    w.sessionId = 'changed-id';
    expect(a.sessionId).toBe('changed-id');
  });

  it('rejects something that is not a transport with a clear error', () => {
    const sink = new InMemorySpanSink();
    let caught: unknown;
    try {
      instrumentTransport({} as never, { sink });
    } catch (err) {
      caught = err;
    }
    expect(isInspectorError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect(() => instrumentTransport(InMemoryTransport.createLinkedPair()[0], { sink, sessionId: 'bad id!' })).toThrow(/session/i);
  });

  it('keeps the traffic working when the sink throws, and reports to onError', async () => {
    const errors: unknown[] = [];
    const broken = { write: () => { throw new Error('disk gone'); }, flush: async () => {}, close: async () => {} };
    const [ct, st] = InMemoryTransport.createLinkedPair();
    const { server } = createTestServer();
    const client = new Client({ name: 'c', version: '1' });
    await server.connect(instrumentTransport(st, { sink: broken, sessionId: 'broken-sink', onError: (e) => errors.push(e) }));
    await client.connect(ct);
    const result = await client.callTool({ name: 'echo', arguments: { text: 'still works' } });
    expect(result.content).toEqual([{ type: 'text', text: 'still works' }]);
    await new Promise((r) => setImmediate(r)); // spans are written on the next event-loop turn
    expect(errors.length).toBeGreaterThan(0);
    await client.close();
    await server.close();
  });
});
