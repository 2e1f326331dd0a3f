import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { createRpcRecorder, HOOK_CHANNELS, hookChannels, publishHook, subscribeHook, type HookPayloads } from '../../src/instrumentation/index.js';
import { connectPair } from './mcpPair.js';

describe('diagnostics_channel hooks', () => {
  it('names every channel mcpscope:<event> in one place', () => {
    expect(Object.values(HOOK_CHANNELS)).toEqual(expect.arrayContaining(['mcpscope:before_rpc_request', 'mcpscope:after_rpc_response', 'mcpscope:error_rpc_request', 'mcpscope:session_started', 'mcpscope:session_finished']));
    for (const name of Object.values(HOOK_CHANNELS)) expect(name).toMatch(/^mcpscope:[a-z_]+$/);
  });

  it('delivers before/after/error/session events to a plain diagnostics_channel subscriber', async () => {
    const seen: Array<[string, unknown]> = [];
    const listeners = Object.values(HOOK_CHANNELS).map((name) => {
      const fn = (message: unknown): void => void seen.push([name, message]);
      diagnosticsChannel.subscribe(name, fn);
      return () => diagnosticsChannel.unsubscribe(name, fn);
    });
    try {
      const sink = new InMemorySpanSink();
      const rec = createRpcRecorder({ sink, sessionId: 'hooked-session', transport: 'stdio' });
      rec.received({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } });
      rec.sent({ jsonrpc: '2.0', id: 1, result: { content: [] } });
      rec.flush();
      rec.received({ jsonrpc: '2.0', id: 2, method: 'bad' });
      rec.sent({ jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'Method not found' } });
      rec.received({ jsonrpc: '2.0', method: 'notifications/initialized' });
      rec.close('done'); // writes what is still queued first
      const names = seen.map(([n]) => n.replace('mcpscope:', ''));
      expect(names).toEqual([
        'session_started',
        'before_rpc_request',
        'span_end',
        'after_rpc_response',
        'before_rpc_request',
        'rpc_notification',
        'span_end',
        'after_rpc_response',
        'error_rpc_request',
        'span_end',
        'session_finished',
      ]);
      const before = seen[1]![1] as HookPayloads['beforeRpcRequest'];
      expect(before).toMatchObject({ sessionId: 'hooked-session', direction: 'inbound', method: 'tools/call', id: 1 });
      const after = seen[3]![1] as HookPayloads['afterRpcResponse'];
      expect(after.span.name).toBe('tools/call x');
      expect(after.isError).toBe(false);
      expect(after.durationMs).toBeGreaterThanOrEqual(0);
      const error = seen[8]![1] as HookPayloads['errorRpcRequest'];
      expect(error).toMatchObject({ method: 'bad', errorType: '-32601', errorMessage: 'Method not found' });
      expect(seen[10]![1]).toMatchObject({ sessionId: 'hooked-session', reason: 'done', stats: { requests: 2, toolCalls: 1, errors: 1, spans: 3 } });
    } finally {
      for (const off of listeners) off();
    }
  });

  it('works with no subscriber, and builds no payload then', async () => {
    for (const channel of Object.values(hookChannels)) expect(channel.hasSubscribers).toBe(false);
    let built = 0;
    expect(publishHook('beforeRpcRequest', () => (built++, {} as never))).toBe(false);
    expect(built).toBe(0);
    const pair = await connectPair();
    await pair.client.callTool({ name: 'echo', arguments: { text: 'quiet' } });
    pair.flush();
    expect(pair.serverSink.spans.length).toBeGreaterThan(0);
    await pair.close();
  });

  it('writes each span once when a subscriber flushes the recorder from inside its hook', () => {
    const sink = new InMemorySpanSink();
    const errors: unknown[] = [];
    const rec = createRpcRecorder({ sink, sessionId: 'reentry-session', transport: 'stdio', onError: (e) => errors.push(e) });
    const ids: unknown[] = [];
    const off = subscribeHook('afterRpcResponse', (p) => {
      ids.push(p.id);
      rec.flush();
    });
    try {
      for (const id of [1, 2, 3]) {
        rec.received({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'x' } });
        rec.sent({ jsonrpc: '2.0', id, result: { content: [] } });
      }
      rec.flush();
    } finally {
      off();
    }
    // Before, the inner flush started the queue over: span 1 was written until the stack ran out.
    expect(ids).toEqual([1, 2, 3]);
    expect(sink.spans.map((s) => s.attributes['jsonrpc.request.id'])).toEqual(['1', '2', '3']);
    expect(errors).toEqual([]);
  });

  it('catches a throwing typed listener and unsubscribes idempotently', async () => {
    const errors: unknown[] = [];
    const got: string[] = [];
    const offA = subscribeHook('afterRpcResponse', () => { throw new Error('listener bug'); }, (e) => errors.push(e));
    const offB = subscribeHook('afterRpcResponse', (p) => got.push(p.method));
    const pair = await connectPair();
    await pair.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await pair.close();
    offA();
    offA();
    offB();
    expect(hookChannels.afterRpcResponse.hasSubscribers).toBe(false);
    expect(got).toEqual(expect.arrayContaining(['initialize', 'tools/call']));
    expect(errors.length).toBe(got.length);
    expect(publishHook('afterRpcResponse', () => ({}) as never)).toBe(false);
  });
});
