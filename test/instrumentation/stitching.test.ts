import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Attr } from '../../src/core/span.js';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { instrumentTransport } from '../../src/instrumentation/index.js';
import { createTestServer, only, validSpans } from './mcpPair.js';

describe('trace stitching across instrumented hops', () => {
  it('parents the outbound call on the inbound request and continues the trace downstream', async () => {
    // Downstream: a second instrumented server.
    const downstreamSink = new InMemorySpanSink();
    const [dClientT, dServerT] = InMemoryTransport.createLinkedPair();
    const { server: downstream } = createTestServer();
    await downstream.connect(instrumentTransport(dServerT, { sink: downstreamSink, sessionId: 'downstream' }));

    // Middle: a server whose tool calls downstream through an instrumented client.
    const middleSink = new InMemorySpanSink();
    const relayClient = new Client({ name: 'relay', version: '1' });
    await relayClient.connect(instrumentTransport(dClientT, { sink: middleSink, sessionId: 'relay-client' }));
    const middle = new McpServer({ name: 'middle', version: '1' });
    middle.registerTool('relay', { inputSchema: { text: z.string() } }, async ({ text }) => {
      await new Promise((r) => setTimeout(r, 1)); // the context must survive timers and awaits
      const r = await relayClient.callTool({ name: 'echo', arguments: { text } });
      return { content: r.content as [{ type: 'text'; text: string }] };
    });
    const [uClientT, uServerT] = InMemoryTransport.createLinkedPair();
    await middle.connect(instrumentTransport(uServerT, { sink: middleSink, sessionId: 'middle' }));

    // Upstream: a plain, uninstrumented client.
    const user = new Client({ name: 'user', version: '1' });
    await user.connect(uClientT);
    const result = await user.callTool({ name: 'relay', arguments: { text: 'across' } });
    expect(result.content).toEqual([{ type: 'text', text: 'across' }]);
    await new Promise((r) => setImmediate(r)); // spans are written on the next event-loop turn

    const mid = validSpans(middleSink.spans);
    const inbound = only(mid, 'tools/call relay');
    const outbound = mid.find((s) => s.name === 'tools/call echo')!;
    expect(inbound.kind).toBe('SERVER');
    expect(inbound.parent_span_id).toBeUndefined();
    expect(outbound.kind).toBe('CLIENT');
    expect(outbound.attributes[Attr.SESSION_ID]).toBe('relay-client');
    expect(outbound.parent_span_id).toBe(inbound.span_id);
    expect(outbound.trace_id).toBe(inbound.trace_id);

    const down = only(validSpans(downstreamSink.spans), 'tools/call echo');
    expect(down.kind).toBe('SERVER');
    expect(down.trace_id).toBe(inbound.trace_id);
    expect(down.parent_span_id).toBe(outbound.span_id);
    expect(JSON.parse(down.attributes[Attr.REQUEST_JSON] as string).params._meta.traceparent).toBe(`00-${inbound.trace_id}-${outbound.span_id}-01`);

    // Calls made outside any request handler stay roots of their own session trace.
    const relayInit = mid.find((s) => s.name === 'initialize' && s.attributes[Attr.SESSION_ID] === 'relay-client')!;
    expect(relayInit.parent_span_id).toBeUndefined();
    expect(relayInit.trace_id).not.toBe(inbound.trace_id);

    await user.close();
    await relayClient.close();
    await middle.close();
    await downstream.close();
  });
});
