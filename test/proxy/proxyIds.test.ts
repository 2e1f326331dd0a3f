import { afterEach, describe, expect, it } from 'vitest';
import { RAW_SERVER, startHarness, type Harness } from './proxyHarness.js';

const raw = { kind: 'stdio' as const, command: process.execPath, args: [RAW_SERVER] };
let h: Harness | undefined;

afterEach(async () => {
  await h?.proxy.close();
  h = undefined;
});

const req = (id: string, method: string) => `{"jsonrpc":"2.0","id":${id},"method":"${method}","params":{}}\n`;

describe('ids JSON.parse cannot represent, recorded as sent', () => {
  it('records 2^53 and 2^53+1 in flight together as two healthy calls, each with its own response', async () => {
    h = await startHarness({ upstream: raw });
    // One write: both requests are forwarded (and open in the record) before either answer arrives.
    h.send(req('9007199254740992', 'first') + req('9007199254740993', 'second'));
    await h.waitFor((l) => l.length === 2, 'two responses');
    expect(h.lines().map((l) => /"id":(\d+)/.exec(l)![1]).sort()).toEqual(['9007199254740992', '9007199254740993']);
    await h.proxy.close();
    const spans = h.sink.spans.filter((s) => s.attributes['mcp.method.name'] === 'first' || s.attributes['mcp.method.name'] === 'second');
    expect(spans).toHaveLength(2);
    for (const span of spans) expect(span.status.status_code).toBe('OK');
    const byMethod = Object.fromEntries(spans.map((s) => [s.attributes['mcp.method.name'], s]));
    expect(byMethod.first!.attributes['jsonrpc.request.id']).toBe('9007199254740992');
    expect(byMethod.second!.attributes['jsonrpc.request.id']).toBe('9007199254740993');
    // Each span holds the answer to its own request (the server echoes the request line).
    expect(String(byMethod.first!.attributes['mcp.rpc.response_json'])).toContain('"id":9007199254740992,');
    expect(String(byMethod.first!.attributes['mcp.rpc.response_json'])).toContain('\\"method\\":\\"first\\"');
    expect(String(byMethod.second!.attributes['mcp.rpc.response_json'])).toContain('"id":9007199254740993,');
    expect(String(byMethod.second!.attributes['mcp.rpc.response_json'])).toContain('\\"method\\":\\"second\\"');
    expect(h.sink.spans.filter((s) => s.status.status_code === 'ERROR')).toEqual([]);
  });

  it('forwards, answers and records a request with id 1e400 like any other call', async () => {
    h = await startHarness({ upstream: raw });
    h.send(req('1e400', 'tools/list'));
    await h.waitFor((l) => l.length === 1, 'the response');
    expect(h.lines()[0]).toMatch(/^\{"jsonrpc":"2.0","id":1e400,"result":/);
    expect(h.proxy.stats().pending).toBe(0);
    await h.proxy.close();
    expect(h.sink.spans.filter((s) => s.name === 'jsonrpc.invalid')).toEqual([]);
    const span = h.sink.spans.find((s) => s.name === 'tools/list')!;
    expect(span.status.status_code).toBe('OK');
    expect(span.attributes['jsonrpc.request.id']).toBe('1e400');
    expect(span.attributes['mcp.rpc.response_json']).toMatch(/"id":1e400,/);
  });

  it('pairs a huge id answered by an upstream that rounded it, and records the id as sent', async () => {
    h = await startHarness({ upstream: raw });
    h.send(req('9007199254740993', 'wrongid'));
    await h.waitFor((l) => l.length === 1, 'the response');
    await h.proxy.close();
    const span = h.sink.spans.find((s) => s.attributes['mcp.method.name'] === 'wrongid')!;
    expect(span.status.status_code).toBe('OK');
    expect(span.attributes['jsonrpc.request.id']).toBe('9007199254740993');
    expect(span.attributes['mcp.rpc.response_json']).toContain('"id":9007199254740992');
  });
});
