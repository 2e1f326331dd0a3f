import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { Attr } from '../../src/core/span.js';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { instrumentTransport } from '../../src/instrumentation/index.js';
import { only, validSpans } from './mcpPair.js';

const require = createRequire(import.meta.url);
const everything = join(dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');

describe('instrumentTransport over a real stdio child process', () => {
  it('records a client session against server-everything', async () => {
    const sink = new InMemorySpanSink();
    const inner = new StdioClientTransport({ command: process.execPath, args: [everything, 'stdio'], stderr: 'ignore' });
    const transport = instrumentTransport(inner, { sink, sessionId: 'stdio-client' });
    const client = new Client({ name: 'stdio-test', version: '1' });
    try {
      await client.connect(transport);
      const tools = await client.listTools();
      expect(tools.tools.some((t) => t.name === 'echo')).toBe(true);
      const result = await client.callTool({ name: 'echo', arguments: { message: 'over a pipe' } });
      expect(JSON.stringify(result.content)).toContain('over a pipe');
    } finally {
      await client.close();
    }
    const spans = validSpans(sink.spans);
    const call = only(spans, 'tools/call echo');
    expect(call).toMatchObject({
      kind: 'CLIENT',
      status: { status_code: 'OK' },
      attributes: { [Attr.TRANSPORT]: 'stdio', [Attr.NETWORK_TRANSPORT]: 'pipe', [Attr.DIRECTION]: 'outbound', [Attr.TOOL_INPUT_JSON]: '{"message":"over a pipe"}' },
    });
    expect(only(spans, 'initialize').status.status_code).toBe('OK');
    expect(only(spans, 'tools/list').attributes[Attr.RESPONSE_JSON]).toContain('echo');
    expect(transport.recorder.openRequests()).toBe(0);
  });
});
