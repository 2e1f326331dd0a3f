import { afterEach, describe, expect, it } from 'vitest';
import { RAW_SERVER, startHarness, type Harness } from './proxyHarness.js';

const raw = { kind: 'stdio' as const, command: process.execPath, args: [RAW_SERVER] };
let h: Harness | undefined;

afterEach(async () => {
  await h?.proxy.close();
  h = undefined;
});

/** A tools/call line of about `bytes` bytes, written as the MCP SDK does: method and params first, id last. */
function bigCall(bytes: number, idJson: string): Buffer {
  const head = Buffer.from('{"method":"tools/call","params":{"name":"upload","arguments":{"blob":"');
  const tail = Buffer.from(`"}},"jsonrpc":"2.0","id":${idJson}}\n`);
  return Buffer.concat([head, Buffer.alloc(Math.max(0, bytes - head.length - tail.length), 0x61), tail]);
}

const ping = (id: number) => `{"jsonrpc":"2.0","id":${id},"method":"ping"}\n`;

describe('lines over the line limit', () => {
  it('answers a 70 MB request over the default 64 MiB limit for its id, records it, and keeps working', async () => {
    h = await startHarness({ upstream: raw });
    const line = bigCall(70 * 1000 * 1000, '42');
    for (let i = 0; i < line.length; i += 1 << 20) h.send(line.subarray(i, i + (1 << 20)));
    h.send(ping(43));
    await h.waitFor((l) => l.length === 2, 'the error and the ping answer', 30_000);
    const [error, pong] = h.lines().map((l) => JSON.parse(l));
    expect(error).toMatchObject({ jsonrpc: '2.0', id: 42, error: { code: -32600, message: 'Request too large' } });
    expect(error.error.data).toContain(`line of ${line.length - 1} bytes is over the proxy's limit of 67108864 bytes`);
    expect(pong).toMatchObject({ id: 43, result: {} });
    expect(h.stderr()).toContain('over the limit of 67108864: not forwarded');
    await h.proxy.close();
    const span = h.sink.spans.find((s) => s.attributes['jsonrpc.request.id'] === '42')!;
    expect(span).toMatchObject({ name: 'tools/call', status: { status_code: 'ERROR' } });
    expect(span.attributes['mcp.method.name']).toBe('tools/call');
    expect(String(span.attributes['mcp.rpc.request_json']).startsWith('{"method":"tools/call","params":{"name":"upload"')).toBe(true);
    expect(String(span.attributes['mcp.rpc.response_json'])).toContain('Request too large');
  }, 60_000);

  it('honours a configured limit: answers by id, -32700 when none can be read, and passes a notification over', async () => {
    h = await startHarness({ upstream: raw, maxLineBytes: 4096 });
    h.send(bigCall(10_000, '"big-1"'));
    h.send(Buffer.concat([Buffer.from('{"junk":"'), Buffer.alloc(10_000, 0x62), Buffer.from('\n')]));
    h.send(`{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"${'c'.repeat(10_000)}"}}\n`);
    h.send(bigCall(4000, '7')); // under the limit: forwarded as usual
    await h.waitFor((l) => l.length === 3, 'three replies');
    const [byId, parse, ok] = h.lines().map((l) => JSON.parse(l));
    expect(byId).toMatchObject({ id: 'big-1', error: { code: -32600, message: 'Request too large' } });
    expect(parse).toMatchObject({ id: null, error: { code: -32700 } });
    expect(parse.error.data).toContain('limit of 4096 bytes');
    expect(ok).toMatchObject({ id: 7, result: {} });
    await h.proxy.close();
    const errors = h.sink.spans.filter((s) => s.status.status_code === 'ERROR');
    expect(errors.map((s) => s.name).sort()).toEqual(['jsonrpc.error', 'jsonrpc.invalid', 'jsonrpc.invalid', 'tools/call']);
  });

  it("ends the client's request with an error when the upstream's answer is over the limit", async () => {
    h = await startHarness({ upstream: raw, maxLineBytes: 4096 });
    // The server echoes the request line inside a JSON string: its quotes double the answer's size.
    h.send(`{"jsonrpc":"2.0","id":5,"method":"echo","params":{"q":${JSON.stringify('"'.repeat(1500))}}}\n`);
    h.send(ping(6));
    await h.waitFor((l) => l.length === 2, 'two replies');
    const byId = Object.fromEntries(h.lines().map((l) => JSON.parse(l)).map((m) => [m.id, m]));
    expect(byId[5]).toMatchObject({ error: { code: -32603, message: 'Response too large' } });
    expect(byId[6]).toMatchObject({ result: {} });
    expect(h.proxy.stats().pending).toBe(0);
    await h.proxy.close();
    const span = h.sink.spans.find((s) => s.attributes['mcp.method.name'] === 'echo')!;
    expect(span.status.status_code).toBe('ERROR');
    expect(span.status.description).toContain('Response too large');
  });
});
