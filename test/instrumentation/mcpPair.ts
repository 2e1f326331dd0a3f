import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CreateMessageRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { z } from 'zod';
import { SpanSchema, type Span } from '../../src/core/span.js';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { instrumentTransport, type InstrumentedTransport, type InstrumentOptions } from '../../src/instrumentation/index.js';

/** A real McpServer with tools that exercise every recording path. `release()` lets `hang` finish. */
export function createTestServer(): { server: McpServer; release: () => void } {
  const server = new McpServer({ name: 'test-server', version: '1.0.0' }, { capabilities: { logging: {} } });
  let release = (): void => {};
  server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool('fail', { inputSchema: {} }, async () => ({ content: [{ type: 'text', text: 'boom: disk full' }], isError: true }));
  server.registerTool('progress', { inputSchema: { steps: z.number() } }, async ({ steps }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= steps && token !== undefined; i++) {
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps, message: `step ${i}` } });
    }
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'progress done' } });
    return { content: [{ type: 'text', text: 'done' }] };
  });
  server.registerTool('ask', { inputSchema: {} }, async () => {
    const answer = await server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi?' } }], maxTokens: 50 });
    const roots = await server.server.listRoots();
    return { content: [{ type: 'text', text: `${(answer.content as { text: string }).text} / ${roots.roots.length} roots` }] };
  });
  server.registerTool('hang', { inputSchema: {} }, () => new Promise((resolve) => (release = () => resolve({ content: [] }))));
  server.registerResource('readme', 'file:///readme.md', { mimeType: 'text/markdown' }, async (uri) => ({ contents: [{ uri: uri.href, text: '# hello' }] }));
  server.registerPrompt('greet', { argsSchema: { who: z.string() } }, ({ who }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `hello ${who}` } }] }));
  return { server, release: () => release() };
}

/** A real Client that answers sampling and roots requests. */
export function createTestClient(): Client {
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { sampling: {}, roots: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', content: { type: 'text', text: 'sampled' }, model: 'test-model' }));
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///tmp', name: 'tmp' }] }));
  return client;
}

export interface Pair {
  client: Client;
  server: McpServer;
  release: () => void;
  serverSink: InMemorySpanSink;
  clientSink: InMemorySpanSink;
  serverTransport: InstrumentedTransport;
  clientTransport: InstrumentedTransport;
  /** Writes queued spans of both sides now (they are otherwise written on the next event-loop turn). */
  flush: () => void;
  close: () => Promise<void>;
}

/** Client and server over a linked in-memory pair, both sides instrumented into their own sink. */
export async function connectPair(serverOptions: Partial<InstrumentOptions> = {}, clientOptions: Partial<InstrumentOptions> = {}): Promise<Pair> {
  const [ct, st] = InMemoryTransport.createLinkedPair();
  const serverSink = new InMemorySpanSink();
  const clientSink = new InMemorySpanSink();
  const serverTransport = instrumentTransport(st, { sink: serverSink, sessionId: 'server-session', ...serverOptions });
  const clientTransport = instrumentTransport(ct, { sink: clientSink, sessionId: 'client-session', ...clientOptions });
  const { server, release } = createTestServer();
  const client = createTestClient();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  return {
    client,
    server,
    release,
    serverSink,
    clientSink,
    serverTransport,
    clientTransport,
    flush: () => {
      serverTransport.recorder.flush();
      clientTransport.recorder.flush();
    },
    close: async () => {
      release();
      await client.close();
      await server.close();
    },
  };
}

/** Asserts every span matches the trace-file schema and returns them. */
export function validSpans(spans: Span[]): Span[] {
  for (const span of spans) {
    const r = SpanSchema.safeParse(span);
    if (!r.success) expect.fail(`invalid span ${span.name}: ${r.error.message}`);
  }
  return spans;
}

/** The one span named `name` (fails when there are none or several). */
export function only(spans: Span[], name: string): Span {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name), `spans named ${name} among ${spans.map((s) => s.name).join(', ')}`).toEqual([name]);
  return found[0]!;
}
