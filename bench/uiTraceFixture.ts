import { randomBytes } from 'node:crypto';
import type { Span } from '../src/core/span.js';
import { createTraceWriter } from '../src/store/traceWriter.js';

const WORDS = 'the of and to in is for that with on as by this file read write data tool result error value user line path config import export function return const await async server client request response'.split(' ');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function micros(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(us % 1_000_000).padStart(6, '0')}Z`;
}

const TOOLS = ['read_file', 'write_file', 'search', 'list_dir', 'run_tests', 'fetch_url'];

/**
 * Writes a realistic proxied session of `count` spans (about 2.3 KB each, like a busy agent's:
 * tools/call with request and response JSON, every 20th with a nested sampling request from
 * the server, every 50th a tool error) through the store's TraceWriter, and closes it.
 * Returns the names of the first row and the last row in the tree's display order.
 */
export async function writeBigSession(tracesDir: string, sessionId: string, count: number, seed = 7): Promise<{ firstName: string; lastName: string; lastRowName: string }> {
  const rand = rng(seed);
  const words = (k: number) => Array.from({ length: k }, () => (rand() < 0.6 ? WORDS[Math.floor(rand() * WORDS.length)]! : Math.floor(rand() * 2 ** 40).toString(36))).join(' ');
  const writer = createTraceWriter({ tracesDir, sessionId, title: `${count.toLocaleString('en')} spans`, engine: 'proxy' });
  const traceId = randomBytes(16).toString('hex');
  const base = Date.UTC(2026, 0, 5, 10) * 1000;
  let firstName = '';
  let lastName = '';
  let lastRowName = '';
  let written = 0;
  for (let i = 0; written < count; i++) {
    const tool = TOOLS[i % TOOLS.length]!;
    const start = base + i * 3000 + Math.floor(rand() * 1000);
    const end = start + 400 + Math.floor(rand() * 6000);
    const id = randomBytes(8).toString('hex');
    const name = `tools/call ${tool} #${i}`;
    if (written === 0) firstName = name;
    lastName = name;
    lastRowName = name;
    const failed = i % 50 === 49;
    const common = { 'mcp.session.id': sessionId, 'session.id': sessionId, 'network.transport': 'pipe', 'mcp.rpc.transport': 'stdio' };
    if (i % 20 === 19 && written + 2 <= count) {
      const request = { jsonrpc: '2.0', id: `s${i}`, method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: words(30) } }], maxTokens: 200 } };
      const response = { jsonrpc: '2.0', id: `s${i}`, result: { role: 'assistant', model: 'test-model', content: { type: 'text', text: words(60) } } };
      const child: Span = {
        trace_id: traceId,
        span_id: randomBytes(8).toString('hex'),
        parent_span_id: id,
        name: 'sampling/createMessage',
        kind: 'CLIENT',
        start_time: micros(start + 100),
        end_time: micros(Math.min(end, start + 300)),
        status: { status_code: 'OK' },
        attributes: { ...common, 'mcp.method.name': 'sampling/createMessage', 'jsonrpc.request.id': `s${i}`, 'mcp.rpc.direction': 'outbound', 'mcp.rpc.request_json': JSON.stringify(request), 'mcp.rpc.response_json': JSON.stringify(response) },
      };
      writer.write(child);
      lastRowName = 'sampling/createMessage';
      written++;
    }
    const args = { path: `/home/user/project/${words(2).replace(/ /g, '/')}.ts`, query: words(4) };
    const request = { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: tool, arguments: args } };
    const result = { content: [{ type: 'text', text: words(90) }], isError: failed };
    const attributes: Span['attributes'] = {
      ...common,
      'mcp.method.name': 'tools/call',
      'jsonrpc.request.id': String(i),
      'gen_ai.tool.name': tool,
      'gen_ai.operation.name': 'execute_tool',
      'mcp.rpc.direction': 'inbound',
      'mcp.rpc.request_json': JSON.stringify(request),
      'mcp.rpc.response_json': JSON.stringify({ jsonrpc: '2.0', id: i, result }),
      'mcp.tool.input_json': JSON.stringify(args),
      'mcp.tool.output_json': JSON.stringify(result),
    };
    if (failed) attributes['error.type'] = 'tool_error';
    writer.write({
      trace_id: traceId,
      span_id: id,
      name,
      kind: 'SERVER',
      start_time: micros(start),
      end_time: micros(end),
      status: failed ? { status_code: 'ERROR', description: `tool ${tool} failed: ${words(5)}` } : { status_code: 'OK' },
      attributes,
    });
    written++;
  }
  await writer.close({ status: 'completed' });
  return { firstName, lastName, lastRowName };
}
