import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInspectorContext, createInspectorServer, INSPECTOR_INSTRUCTIONS } from '../src/server.js';
import { connectInspector, textOf, type InspectorConnection } from './fixtures/traces/inspectorClient.js';
import { tempTracesDir, writeFixtureTrace } from './fixtures/traces/generateTrace.js';

describe('createInspectorServer', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let conn: InspectorConnection;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempTracesDir());
    await writeFixtureTrace({ tracesDir: dir, sessionId: 'server-session-1', spans: 12, errorEvery: 4, status: 'failed' });
    conn = await connectInspector({ tracesDir: dir, watch: false });
  });
  afterAll(async () => {
    await conn?.close();
    await cleanup?.();
  });

  it('introduces itself as mcpscope with instructions and the subscribe capability', () => {
    expect(conn.client.getServerVersion()).toMatchObject({ name: 'mcpscope' });
    expect(conn.client.getInstructions()).toBe(INSPECTOR_INSTRUCTIONS);
    expect(conn.client.getServerCapabilities()).toMatchObject({ resources: { subscribe: true, listChanged: true }, tools: {}, prompts: {}, completions: {} });
  });

  it('registers the eight tools', async () => {
    const { tools } = await conn.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['cancel_workflow', 'get_span', 'get_trace', 'list_sessions', 'pause_workflow', 'resume_workflow', 'search_spans', 'send_signal'].sort(),
    );
  });

  it('serves several connections from one context, each with its own server', async () => {
    const second = await connectInspector({ tracesDir: dir }, conn.context);
    try {
      const a = await conn.call('list_sessions', {});
      const b = await second.call('list_sessions', {});
      expect(a.structuredContent).toEqual(b.structuredContent);
    } finally {
      await second.close();
    }
    // The first connection still works after the second closed.
    expect((await conn.call('get_trace', { session_id: 'server-session-1' })).isError).toBeFalsy();
  });

  it('offers the debug_session prompt, completing session ids and refusing unknown ones', async () => {
    const { prompts } = await conn.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['debug_session']);
    const completion = await conn.client.complete({ ref: { type: 'ref/prompt', name: 'debug_session' }, argument: { name: 'session_id', value: 'server-' } });
    expect(completion.completion.values).toEqual(['server-session-1']);
    const prompt = await conn.client.getPrompt({ name: 'debug_session', arguments: { session_id: 'server-session-1' } });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    for (const tool of ['get_trace', 'get_span', 'search_spans']) expect(text).toContain(tool);
    expect(text).toMatch(/status failed/);
    expect(text).toMatch(/can only be read/);
    await expect(conn.client.getPrompt({ name: 'debug_session', arguments: { session_id: 'server-session-9' } })).rejects.toThrow(/Did you mean: server-session-1/);
  });

  it('rejects a byte budget too small to answer anything', () => {
    expect(() => createInspectorContext({ tracesDir: dir, byteBudget: 10, watch: false })).toThrow(/byteBudget/);
  });

  it('closes idempotently and a closed server can be rebuilt from the same context', async () => {
    const context = createInspectorContext({ tracesDir: dir, watch: false });
    const first = createInspectorServer(context);
    await first.close();
    await first.close();
    const again = await connectInspector({ tracesDir: dir }, context);
    expect(textOf(await again.call('list_sessions', {}))).toContain('server-session-1');
    await again.close();
    await context.close();
    await context.close();
  });
});
