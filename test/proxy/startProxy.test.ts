import { afterEach, describe, expect, it } from 'vitest';
import type { GateDecision, RequestGate } from '../../src/sessions/gateTypes.js';
import type { Span } from '../../src/core/span.js';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { recordTo } from '../../src/proxy/recordTo.js';
import { RAW_SERVER, startHarness, type Harness } from './proxyHarness.js';

/** Remembers spans written after close (they would be lost by a trace writer). */
class ClosingSink extends InMemorySpanSink {
  late: Span[] = [];
  override write(span: Span): void {
    if (this.closed) this.late.push(span);
    else super.write(span);
  }
}

const raw = { kind: 'stdio' as const, command: process.execPath, args: [RAW_SERVER] };
let h: Harness | undefined;

afterEach(async () => {
  await h?.proxy.close();
  h = undefined;
});

const req = (id: string | number, method: string, params: unknown = {}) => `{"jsonrpc":"2.0","id":${id},"method":"${method}","params":${JSON.stringify(params)}}\n`;

describe('startProxy (stdio upstream)', () => {
  it('forwards requests byte for byte and records them', async () => {
    h = await startHarness({ upstream: raw });
    const line = '{"jsonrpc":"2.0", "id":"a-1","method":"tools/call","params":{"name":"x","arguments":{"s":"é"},"_meta":{"k":1}}}';
    h.send(`${line}\n`);
    await h.waitFor((l) => l.length === 1, 'the response');
    expect(JSON.parse(h.lines()[0]!)).toEqual({ jsonrpc: '2.0', id: 'a-1', result: { received: line } });
    await h.proxy.close();
    const span = h.sink.spans.find((s) => s.attributes['mcp.method.name'] === 'tools/call')!;
    expect(span.name).toBe('tools/call x');
    expect(span.attributes['mcp.rpc.request_json']).toBe(line);
    expect(span.attributes['jsonrpc.request.id']).toBe('a-1');
    expect(h.stderr()).toContain('raw server: ready');
    expect(await h.proxy.done).toEqual({ status: 'completed', reason: 'proxy closed', exitCode: 0 });
    expect(h.sink.closed).toBe(true);
  });

  it('answers a call still pending at close with "proxy closed", said once', async () => {
    h = await startHarness({ upstream: raw });
    h.send(req(7, 'hang'));
    await h.waitFor(() => h.proxy.stats().pending === 1, 'the call to be pending');
    await h.proxy.close();
    await h.waitFor((l) => l.length === 1, 'the error reply');
    expect(JSON.parse(h.lines()[0]!)).toMatchObject({ id: 7, error: { code: -32000, message: 'proxy closed' } });
  });

  it('keeps an id above 2^53 exact in both directions, and matches its response', async () => {
    h = await startHarness({ upstream: raw });
    h.send(req('9007199254740993', 'x'));
    h.send(req('9007199254740992', 'y'));
    await h.waitFor((l) => l.length === 2, 'two responses');
    expect(h.lines()[0]).toMatch(/^\{"jsonrpc":"2.0","id":9007199254740993,"result"/);
    expect(h.lines()[1]).toMatch(/^\{"jsonrpc":"2.0","id":9007199254740992,"result"/);
    expect(h.proxy.stats().pending).toBe(0);
  });

  it('matches a huge id answered by an upstream that rounded it', async () => {
    h = await startHarness({ upstream: raw });
    h.send(req('9007199254740993', 'wrongid'));
    await h.waitFor((l) => l.length === 1, 'the response');
    expect(h.lines()[0]).toContain('"id":9007199254740992');
    expect(h.proxy.stats().pending).toBe(0);
  });

  it('answers garbage from the client per JSON-RPC 2.0 and keeps running', async () => {
    h = await startHarness({ upstream: raw });
    h.send('not json\n');
    h.send('{"jsonrpc":"2.0"}\n');
    h.send('{"jsonrpc":"2.0","id":7,"method":5}\n');
    h.send('[]\n');
    h.send(req(1, 'ping'));
    await h.waitFor((l) => l.length === 5, 'five replies');
    const [parse, invalid, invalidWithId, emptyBatch, ok] = h.lines().map((l) => JSON.parse(l));
    expect(parse).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect(invalid).toMatchObject({ id: null, error: { code: -32600 } });
    expect(invalidWithId).toMatchObject({ id: 7, error: { code: -32600 } });
    expect(emptyBatch).toMatchObject({ id: null, error: { code: -32600 } });
    expect(ok).toMatchObject({ id: 1, result: {} });
    await h.proxy.close();
    const invalidSpans = h.sink.spans.filter((s) => s.status.status_code === 'ERROR' && s.name === 'jsonrpc.invalid');
    expect(invalidSpans.length).toBeGreaterThanOrEqual(4);
  });

  it('records garbage from the upstream, answers it there, and still delivers good messages', async () => {
    h = await startHarness({ upstream: raw });
    h.send(req(1, 'garbage'));
    h.send(req(2, 'invalid'));
    h.send(req(3, 'notify'));
    h.send(req(4, 'ping'));
    await h.waitFor((l) => l.some((x) => x.includes('"id":4')), 'the ping response');
    const lines = h.lines();
    expect(lines.some((l) => l.includes('notifications/message'))).toBe(true);
    expect(lines.some((l) => l.includes('not json'))).toBe(false);
    await h.proxy.close();
    expect(h.sink.spans.filter((s) => s.name === 'jsonrpc.invalid').length).toBe(2);
  });

  it('passes CRLF frames and invalid UTF-8 through unchanged', async () => {
    h = await startHarness({ upstream: raw });
    h.send(req(1, 'crlf'));
    h.send(req(2, 'binary'));
    await h.waitFor((l) => l.length === 2, 'two responses');
    const out = h.output();
    expect(out.includes(Buffer.from('{"crlf":true}}\r\n'))).toBe(true);
    expect(out.includes(Buffer.from([0xff, 0xfe, 0x41]))).toBe(true);
  });

  it('relays server-initiated requests and the client answers', async () => {
    h = await startHarness({ upstream: raw });
    h.send(req(1, 'ask'));
    await h.waitFor((l) => l.some((x) => x.includes('roots/list')), 'the server request');
    h.send('{"jsonrpc":"2.0","id":"srv-1","result":{"roots":[]}}\n');
    await h.waitFor((l) => l.some((x) => x.includes('clientAnswered')), 'the final answer');
    const last = JSON.parse(h.lines().at(-1)!);
    expect(last.result.clientAnswered).toBe('{"jsonrpc":"2.0","id":"srv-1","result":{"roots":[]}}');
  });

  it('forwards batches whole', async () => {
    h = await startHarness({ upstream: raw });
    h.send('[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"n"},{"jsonrpc":"2.0","id":2,"method":"b"}]\n');
    await h.waitFor((l) => l.length === 1, 'the batch response');
    expect(JSON.parse(h.lines()[0]!)).toHaveLength(2);
    expect(h.proxy.stats().pending).toBe(0);
  });

  it('answers pending requests when the upstream dies mid-call and exits with its code', async () => {
    h = await startHarness({ upstream: raw });
    h.send(req(1, 'hang'));
    h.send(req('"b"', 'hang'));
    h.send(req(3, 'exit', { code: 5 }));
    const result = await h.proxy.done;
    expect(result).toEqual({ status: 'failed', reason: 'upstream exited with code 5', exitCode: 5 });
    const replies = h.lines().map((l) => JSON.parse(l));
    expect(replies.map((r) => r.id).sort()).toEqual([1, 3, 'b'].sort());
    for (const r of replies) expect(r.error).toMatchObject({ code: -32000, message: expect.stringContaining('upstream exited with code 5') });
    const errors = h.sink.spans.filter((s) => s.status.status_code === 'ERROR');
    expect(errors.length).toBe(3);
    expect(h.sink.closed).toBe(true);
  });

  it('ends completed with exit 0 when the client closes its input, after in-flight answers', async () => {
    h = await startHarness({ upstream: raw });
    h.send(req(1, 'ping'));
    h.endInput();
    expect(await h.proxy.done).toEqual({ status: 'completed', reason: 'client closed the connection', exitCode: 0 });
    expect(h.lines()).toHaveLength(1);
  });

  it('fails with exit 127 when the upstream command does not exist', async () => {
    h = await startHarness({ upstream: { kind: 'stdio', command: '/nonexistent/mcp-server' } });
    h.send(req(1, 'ping'));
    const result = await h.proxy.done;
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(127);
    expect(result.reason).toMatch(/cannot start upstream/);
  });

  it('cancel() answers pending with -32800 and tells the upstream', async () => {
    h = await startHarness({ upstream: raw });
    h.send(req(1, 'hang'));
    await h.waitFor(() => h.proxy.stats().pending === 1, 'the call to be pending');
    await h.proxy.cancel('user asked');
    expect(await h.proxy.done).toMatchObject({ status: 'cancelled', reason: 'user asked' });
    expect(JSON.parse(h.lines()[0]!)).toMatchObject({ id: 1, error: { code: -32800 } });
    expect(h.stderr()).toContain('raw server: cancelled {"requestId":1,"reason":"user asked"}');
  });

  it('holds requests at the gate, then forwards or rejects them in order', async () => {
    const releases: Array<(d: GateDecision) => void> = [];
    const gate: RequestGate = {
      admit: (request) => (request.method === 'held' ? new Promise((r) => releases.push(r)) : undefined),
    };
    h = await startHarness({ upstream: raw, gate });
    h.send(req(1, 'held'));
    h.send(req(2, 'held'));
    h.send(req(3, 'free'));
    await h.waitFor((l) => l.length === 1, 'the free response');
    expect(JSON.parse(h.lines()[0]!).id).toBe(3);
    releases[1]!({ action: 'reject', code: -32001, message: 'denied by a person' });
    releases[0]!({ action: 'forward' });
    await h.waitFor((l) => l.length === 3, 'all responses');
    const byId = Object.fromEntries(h.lines().map((l) => JSON.parse(l)).map((m) => [m.id, m]));
    expect(byId[1].result.received).toContain('"method":"held"');
    expect(byId[2].error).toEqual({ code: -32001, message: 'denied by a person' });
  });

  it('drops a held request the client cancelled', async () => {
    let release: ((d: GateDecision) => void) | undefined;
    // Only `notify` is held; the raw server answers it with a notification the client would see.
    const gate: RequestGate = { admit: (r) => (r.method === 'notify' ? new Promise((res) => (release = res)) : undefined) };
    h = await startHarness({ upstream: raw, gate });
    h.send(req(1, 'notify'));
    h.send('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}\n');
    // The cancel reached the upstream, so the proxy has handled it.
    await h.waitFor(() => h.stderr().includes('raw server: cancelled {"requestId":1}'), 'the cancel upstream');
    expect(h.proxy.stats().pending).toBe(0);
    release!({ action: 'forward' });
    // A later request's answer comes after anything the release could have caused upstream.
    h.send(req(2, 'x'));
    await h.waitFor((l) => l.length >= 1, 'the answer to the later request');
    expect(h.lines().map((l) => JSON.parse(l))).toEqual([{ jsonrpc: '2.0', id: 2, result: { received: req(2, 'x').trim() } }]);
    expect(h.proxy.stats().pending).toBe(0);
  });

  it('passes on a late answer to a request the client cancelled in flight (the client ignores it)', async () => {
    h = await startHarness({ upstream: raw });
    h.send('{"jsonrpc":"2.0","id":9,"method":"halfline","params":{"size":100}}\n');
    h.send('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9}}\n');
    await h.waitFor(() => h.stderr().includes('raw server: cancelled {"requestId":9}'), 'the cancel upstream');
    expect(h.proxy.stats().pending).toBe(0);
    h.send('{"jsonrpc":"2.0","method":"finish"}\n');
    await h.waitFor((l) => l.length === 1, 'the late answer');
    expect(JSON.parse(h.lines()[0]!)).toMatchObject({ id: 9, result: { text: `${'a'.repeat(100)}${'b'.repeat(10)}` } });
    expect(h.proxy.stats()).toMatchObject({ toClient: 1, pending: 0 });
  });

  it('answers and records requests held at the gate before closing the record when the client leaves', async () => {
    const releases: Array<(d: GateDecision) => void> = [];
    const gate: RequestGate = { admit: (r) => (r.method === 'held' ? new Promise((res) => releases.push(res)) : undefined) };
    const sink = new ClosingSink();
    h = await startHarness({ upstream: raw, gate, openRecording: recordTo(() => sink) });
    h.send(req(1, 'held'));
    h.send(req('"two"', 'held'));
    h.send(req(3, 'ping'));
    await h.waitFor((l) => l.length === 1, 'the ping answer');
    h.endInput();
    expect(await h.proxy.done).toMatchObject({ status: 'completed', reason: 'client closed the connection' });
    expect(sink.closed).toBe(true);
    const held = sink.spans.filter((s) => s.name === 'held');
    expect(held).toHaveLength(2);
    for (const span of held) {
      expect(span.status.status_code).toBe('ERROR');
      expect(span.attributes['mcp.error.code']).toBe(-32800);
      expect(span.attributes['mcp.rpc.response_json']).toContain('request cancelled: client closed the connection');
    }
    const answers = h.lines().map((l) => JSON.parse(l) as { id: unknown; error?: { code: number } });
    expect(answers.filter((a) => a.error?.code === -32800).map((a) => a.id).sort()).toEqual([1, 'two']);
    // The gate letting go later changes nothing: no second answer, nothing written after close.
    releases[0]!({ action: 'forward' });
    releases[1]!({ action: 'reject', code: -32010, message: 'too late' });
    // The proxy reacts to a decision in the promise's continuation: one macrotask turn runs them all.
    await new Promise((r) => setImmediate(r));
    expect(h.lines()).toHaveLength(3);
    expect(sink.late).toEqual([]);
    expect(h.proxy.stats().pending).toBe(0);
  });
});
