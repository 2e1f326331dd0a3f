import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, type CreateMessageRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Span } from '../../src/core/span.js';
import { readTrace } from '../../src/store/traceReader.js';
import { CLI, EVERYTHING, ROOT, tempDir } from './proxyHelpers.js';

/** The text of a sampling request's first message (server-everything puts the tool's prompt in it). */
const promptOf = (req: CreateMessageRequest): string => {
  const content = req.params.messages[0]?.content;
  return content && !Array.isArray(content) && content.type === 'text' ? content.text : '';
};

/**
 * A real SDK client that answers sampling, through the built `mcpscope proxy` in front of
 * server-everything. `hold` may delay an answer (resolves when the answer may go).
 */
async function proxiedClient(tracesDir: string, sessionId: string, hold: (prompt: string) => Promise<void> = async () => undefined): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'proxy', '--traces-dir', tracesDir, '--session-id', sessionId, '--', process.execPath, EVERYTHING, 'stdio'],
    cwd: ROOT,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'sampling-e2e', version: '1.0.0' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    await hold(promptOf(req));
    return { role: 'assistant', model: 'stub-model', content: { type: 'text', text: `answer to ${promptOf(req)}` } };
  });
  await client.connect(transport);
  return client;
}

const named = (spans: Span[], name: string): Span[] => spans.filter((s) => s.name === name);

describe('proxy over stdio: a server sampling request nests under the tool call that caused it (built CLI)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('parents the sampling span on the one open tools/call span', async () => {
    const sessionId = 'e2e-sampling-one';
    const client = await proxiedClient(dir.path, sessionId);
    try {
      const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 20 } });
      expect(JSON.stringify(result.content)).toContain('answer to');
    } finally {
      await client.close();
    }
    const { spans } = await readTrace(dir.path, sessionId);
    const [call] = named(spans, 'tools/call trigger-sampling-request');
    const [sampling] = named(spans, 'sampling/createMessage');
    expect(call?.status.status_code).toBe('OK');
    expect(sampling?.status.status_code).toBe('OK');
    expect(sampling!.parent_span_id).toBe(call!.span_id);
    expect(sampling!.trace_id).toBe(call!.trace_id);
    expect(sampling!.attributes['mcp.rpc.direction']).toBe('outbound');
  }, 60_000);

  it('leaves a sampling span unparented when two calls are open and nothing links it to one', async () => {
    const sessionId = 'e2e-sampling-two';
    // The first sampling request is held until the second arrives: the second then comes while both calls are open.
    let releaseFirst!: () => void;
    const bothArrived = new Promise<void>((resolve) => (releaseFirst = resolve));
    const arrived: string[] = [];
    const client = await proxiedClient(dir.path, sessionId, async (prompt) => {
      arrived.push(prompt);
      if (arrived.length >= 2) return releaseFirst();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([bothArrived, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('second sampling request never came')), 20_000)))]).finally(() => clearTimeout(timer));
    });
    try {
      const results = await Promise.all(['first', 'second'].map((prompt) => client.callTool({ name: 'trigger-sampling-request', arguments: { prompt, maxTokens: 20 } })));
      expect(results.map((r) => JSON.stringify(r.content))).toEqual([expect.stringContaining('first'), expect.stringContaining('second')]);
    } finally {
      await client.close();
    }
    expect(arrived).toHaveLength(2);
    const { spans } = await readTrace(dir.path, sessionId);
    const calls = named(spans, 'tools/call trigger-sampling-request');
    const samplings = named(spans, 'sampling/createMessage');
    expect(calls).toHaveLength(2);
    expect(samplings).toHaveLength(2);
    // Which sampling request carries which call's prompt, and which call asked with it.
    const samplingFor = (prompt: string) => samplings.find((s) => String(s.attributes['mcp.rpc.request_json']).includes(`context: ${prompt}"`));
    const callFor = (prompt: string) => calls.find((c) => String(c.attributes['mcp.rpc.request_json']).includes(`"prompt":"${prompt}"`));
    const [earlier, later] = arrived.map((text) => text.slice(text.lastIndexOf(" ") + 1)) as [string, string];
    // The later one came while both calls were open: no parent, never a guess.
    expect(samplingFor(later)).toBeDefined();
    expect(samplingFor(later)!.parent_span_id).toBeUndefined();
    // The earlier one may have come while its own call was the only one open; then it is that call's child.
    const first = samplingFor(earlier)!;
    if (first.parent_span_id !== undefined) expect(first.parent_span_id).toBe(callFor(earlier)!.span_id);
  }, 60_000);
});
