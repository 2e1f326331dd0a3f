import { afterEach, describe, expect, it } from 'vitest';
import { createCutThrough } from '../../src/proxy/cutThrough.js';
import { RAW_SERVER, startHarness, type Harness } from './proxyHarness.js';

describe('createCutThrough', () => {
  function cut(mayPass = true) {
    const written: string[] = [];
    const c = createCutThrough({ write: (b) => written.push(b.toString()), after: 4, reuse: false, mayPass: () => mayPass });
    return { c, written };
  }

  it('holds whole messages while a line passes and writes them after it', () => {
    const { c, written } = cut();
    expect(c.stream.begin(Buffer.from(' \t{"id":1'))).toBe(true);
    c.stream.data(Buffer.from('{"id":1,'));
    c.writeMessage(Buffer.from('{"proxy":1}\n'));
    c.writeMessage(Buffer.from('{"proxy":2}\n'));
    c.stream.data(Buffer.from('"result":{}}\n'));
    expect(written).toEqual(['{"id":1,', '"result":{}}\n']);
    c.stream.end(true);
    c.writeMessage(Buffer.from('{"proxy":3}\n'));
    expect(written.join('')).toBe('{"id":1,"result":{}}\n{"proxy":1}\n{"proxy":2}\n{"proxy":3}\n');
  });

  it('ends a line cut at the limit with a newline before what waited', () => {
    const { c, written } = cut();
    c.stream.begin(Buffer.from('{"a'));
    c.stream.data(Buffer.from('{"a'));
    c.writeMessage(Buffer.from('{"error":1}\n'));
    c.stream.end(false);
    expect(written.join('')).toBe('{"a\n{"error":1}\n');
  });

  it('passes only what begins as an object, and only when allowed', () => {
    expect(cut().c.stream.begin(Buffer.from('[{"id":1}'))).toBe(false);
    expect(cut().c.stream.begin(Buffer.from('   '))).toBe(false);
    expect(cut(false).c.stream.begin(Buffer.from('{"id":1'))).toBe(false);
  });
});

describe('proxy cut-through (stdio upstream)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.proxy.close();
    h = undefined;
  });
  const raw = { kind: 'stdio' as const, command: process.execPath, args: [RAW_SERVER] };
  const finish = '{"jsonrpc":"2.0","method":"finish"}\n';

  it("passes a long answer's first bytes on before the upstream wrote the rest, and what the proxy says meanwhile after it", async () => {
    h = await startHarness({ upstream: raw, cutThrough: true });
    h.send('{"jsonrpc":"2.0","id":1,"method":"halfline","params":{"size":40000}}\n');
    // The upstream wrote 40 KB and waits: only cut-through gets them to the client now.
    await waitForBytes(h, 40_000);
    expect(h.output().includes(0x0a)).toBe(false);
    // The proxy answers this one itself, while the answer to 1 is still passing.
    h.send('not json\n');
    await h.waitFor(() => h!.proxy.stats().fromClient === 2, 'the bad line read');
    expect(h.output().includes(0x0a)).toBe(false);
    h.send(finish);
    await h.waitFor((l) => l.length === 2, 'the answer, then the parse error');
    const [answer, error] = h.lines().map((l) => JSON.parse(l) as { id: unknown; result?: { text: string }; error?: { code: number } });
    expect(answer!.id).toBe(1);
    expect(answer!.result!.text).toBe(`${'a'.repeat(40_000)}${'b'.repeat(10)}`);
    expect(error).toMatchObject({ id: null, error: { code: -32700 } });
    expect(h.proxy.stats()).toMatchObject({ toClient: 2, pending: 0 });
    await h.proxy.close();
    // Recorded as any answer: the span ends OK with the response (cut at the attribute cap).
    const span = h.sink.spans.find((s) => s.attributes['mcp.method.name'] === 'halfline')!;
    expect(span.status.status_code).toBe('OK');
    expect(String(span.attributes['mcp.rpc.response_json'])).toMatch(/^\{"jsonrpc":"2.0","id":1,"result":\{"text":"aaa/);
  });

  it('without a recording, settles one passed answer after another (each read from the reused join buffer)', async () => {
    h = await startHarness({ upstream: raw, cutThrough: true, openRecording: undefined });
    for (const [id, size] of [[11, 40_000], [12, 30_000]] as const) {
      h.send(`{"jsonrpc":"2.0","id":${id},"method":"halfline","params":{"size":${size}}}\n`);
      await waitForBytes(h, h.output().length + size);
      h.send(finish);
      await h.waitFor((l) => l.length === id - 10 && h!.output().at(-1) === 0x0a, `the answer to ${id}`);
    }
    expect(h.lines().map((l) => JSON.parse(l) as { id: number; result: { text: string } }).map((m) => [m.id, m.result.text.length])).toEqual([
      [11, 40_010],
      [12, 30_010],
    ]);
    expect(h.proxy.stats()).toMatchObject({ toClient: 2, pending: 0 });
  });

  it('cuts a passing answer that goes over the line limit, answers the request with -32603, and keeps working', async () => {
    h = await startHarness({ upstream: raw, cutThrough: true, maxLineBytes: 30_000 });
    h.send('{"jsonrpc":"2.0","id":2,"method":"halfline","params":{"size":20000,"more":20000}}\n');
    await waitForBytes(h, 20_000);
    h.send(finish);
    h.send('{"jsonrpc":"2.0","id":3,"method":"ping"}\n');
    await h.waitFor((l) => l.length === 3, 'the cut line, the error, the ping answer');
    const [cutLine, ...rest] = h.lines();
    expect(cutLine!.startsWith('{"jsonrpc":"2.0","id":2,"result":{"text":"aaa')).toBe(true);
    expect(cutLine!.length).toBeLessThanOrEqual(30_000);
    const byId = Object.fromEntries(rest.map((l) => JSON.parse(l) as { id: number }).map((m) => [m.id, m]));
    expect(byId[2]).toMatchObject({ error: { code: -32603, message: 'Response too large' } });
    expect(byId[3]).toMatchObject({ result: {} });
    expect(h.proxy.stats().pending).toBe(0);
  });

  it('ends a passing line the upstream died in the middle of, then answers its request', async () => {
    h = await startHarness({ upstream: raw, cutThrough: true });
    h.send('{"jsonrpc":"2.0","id":7,"method":"halfline","params":{"size":30000}}\n');
    await waitForBytes(h, 30_000);
    h.send('{"jsonrpc":"2.0","id":8,"method":"exit","params":{"code":0}}\n');
    expect(await h.proxy.done).toMatchObject({ status: 'completed' });
    const [torn, ...answers] = h.lines();
    expect(torn!.startsWith('{"jsonrpc":"2.0","id":7,"result":{"text":"aaa')).toBe(true);
    expect(() => JSON.parse(torn!)).toThrow();
    const byId = Object.fromEntries(answers.map((l) => JSON.parse(l) as { id: number }).map((m) => [m.id, m]));
    expect(byId[7]).toMatchObject({ error: { code: -32000 } });
    expect(h.proxy.stats().pending).toBe(0);
  });
});

/** Waits (bounded) until the client received at least `n` bytes. */
async function waitForBytes(h: Harness, n: number): Promise<void> {
  for (let i = 0; i < 500 && h.output().length < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(h.output().length).toBeGreaterThanOrEqual(n);
}
