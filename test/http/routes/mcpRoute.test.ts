import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { McpServerFactory } from '../../../src/http/routes/mcpRoute.js';
import { createInspectorContext, createInspectorServer, type InspectorContext } from '../../../src/server.js';
import { createSessionIndex } from '../../../src/store/sessionIndex.js';
import { createTraceWriter } from '../../../src/store/traceWriter.js';
import { startFixture, type GatewayFixture } from '../gatewayFixture.js';
import { probeWithOAuthClient } from '../../proxy/oauthCapableClient.js';

let fx: GatewayFixture | undefined;
const clients: Client[] = [];
let closedServers = 0;

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await fx?.close();
  fx = undefined;
});

/** A small inspector-like server: one tool listing the sessions of the traces dir. */
function factoryFor(dir: string): McpServerFactory {
  const index = createSessionIndex(dir);
  return () => {
    const server = new McpServer({ name: 'inspector-test', version: '0.0.0' });
    server.registerTool('list_sessions', { description: 'list sessions', inputSchema: { limit: z.number().optional() } }, async () => {
      const sessions = await index.list();
      return { content: [{ type: 'text', text: sessions.map((s) => s.id).join('\n') }] };
    });
    return {
      server,
      close: async () => {
        closedServers++;
        await server.close();
      },
    };
  };
}

async function connectClient(headers: Record<string, string>): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'test-client', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${fx!.gateway.url}/mcp`), { requestInit: { headers } });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

describe('/mcp', () => {
  it('an OAuth-capable client without the token shows how to pass it and starts no OAuth discovery', async () => {
    fx = await startFixture((dir) => ({ createMcpServer: factoryFor(dir) }));
    for (const headers of [{}, { Authorization: 'Bearer wrong' }]) {
      const probe = await probeWithOAuthClient(`${fx.gateway.url}/mcp`, headers);
      expect(probe.error).toMatch(/access token: pass the token printed at start .*as Authorization: Bearer/);
      expect(probe.redirected).toBe(false);
      expect(probe.requested).toEqual([`${fx.gateway.url}/mcp`]);
    }
  });

  it('serves an MCP session per client over Streamable HTTP with the token header, closed on DELETE', async () => {
    fx = await startFixture((dir) => ({ createMcpServer: factoryFor(dir) }));
    const writer = createTraceWriter({ tracesDir: fx.dir, sessionId: 'mcp-listed-1', title: 'listed', engine: 'proxy' });
    await writer.close();
    const { client, transport } = await connectClient({ Authorization: `Bearer ${fx.gateway.token}` });
    const { client: second } = await connectClient({ 'X-Inspector-Token': fx.gateway.token });
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(['list_sessions']);
    const result = await second.callTool({ name: 'list_sessions', arguments: {} });
    expect((result.content as { text: string }[])[0]!.text).toContain('mcp-listed-1');
    const before = closedServers;
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    expect(closedServers).toBe(before + 1);
    const stale = await request(`${fx.gateway.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.gateway.token}`, 'mcp-session-id': sessionId, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(stale.statusCode).toBe(404);
    await stale.body.dump();
  });

  it('lists sessions through the real inspector MCP server (list_sessions)', async () => {
    let context: InspectorContext | undefined;
    fx = await startFixture((dir) => {
      context = createInspectorContext({ tracesDir: dir, watch: false });
      return { createMcpServer: () => createInspectorServer(context!) };
    });
    try {
      const writer = createTraceWriter({ tracesDir: fx.dir, sessionId: 'real-server-1', title: 'through /mcp', engine: 'proxy' });
      await writer.close({ status: 'failed', reason: 'boom' });
      const { client } = await connectClient({ Authorization: `Bearer ${fx.gateway.token}` });
      const result = await client.callTool({ name: 'list_sessions', arguments: { status: 'failed' } });
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.structuredContent ?? result.content)).toContain('real-server-1');
    } finally {
      await context?.close();
    }
  });

  it('refuses clients without the token, non-initialize requests without a session, and unknown sessions', async () => {
    fx = await startFixture((dir) => ({ createMcpServer: factoryFor(dir) }));
    await expect(connectClient({})).rejects.toThrow();
    const base = { authorization: `Bearer ${fx.gateway.token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const noSession = await request(`${fx.gateway.url}/mcp`, { method: 'POST', headers: base, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    expect(noSession.statusCode).toBe(400);
    await noSession.body.dump();
    const unknown = await request(`${fx.gateway.url}/mcp`, { method: 'GET', headers: { ...base, 'mcp-session-id': 'nope' } });
    expect(unknown.statusCode).toBe(404);
    await unknown.body.dump();
    const malformed = await request(`${fx.gateway.url}/mcp`, { method: 'POST', headers: base, body: '{"jsonrpc":' });
    expect(malformed.statusCode).toBe(400);
    await malformed.body.dump();
    const put = await request(`${fx.gateway.url}/mcp`, { method: 'PUT', headers: base, body: '{}' });
    expect(put.statusCode).toBe(405);
    await put.body.dump();
  });

  it('closes sessions idle (no request, no open stream) for mcpIdleTimeoutMs', async () => {
    fx = await startFixture((dir) => ({ createMcpServer: factoryFor(dir), mcpIdleTimeoutMs: 50 }));
    const before = closedServers;
    // A bare initialize: unlike the SDK client, it keeps no standing GET stream open.
    const init = await request(`${fx.gateway.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.gateway.token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } }),
    });
    expect(init.statusCode).toBe(200);
    const sessionId = String(init.headers['mcp-session-id']);
    await init.body.dump();
    for (let i = 0; i < 100 && closedServers === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(closedServers).toBe(before + 1);
    expect(fx.logs.some((l) => l.includes('closing idle MCP session'))).toBe(true);
    const after = await request(`${fx.gateway.url}/mcp`, { method: 'GET', headers: { authorization: `Bearer ${fx.gateway.token}`, 'mcp-session-id': sessionId, accept: 'text/event-stream' } });
    expect(after.statusCode).toBe(404);
    await after.body.dump();
  });

  it('answers 503 when no MCP server factory was given', async () => {
    fx = await startFixture();
    await expect(connectClient({ Authorization: `Bearer ${fx.gateway.token}` })).rejects.toThrow();
  });
});
