import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/core/events.js';
import { recordTo } from '../../src/proxy/recordTo.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/startProxy.js';
import { attachLiveControl } from '../../src/sessions/attachLiveControl.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createLiveSessionRegistry } from '../../src/sessions/liveSessionRegistry.js';
import { createRequestGate } from '../../src/sessions/requestGate.js';
import { createLocalSessionControl } from '../../src/sessions/sessionControl.js';
import { createTraceWriter, type TraceWriter } from '../../src/store/traceWriter.js';
import { readMetaFile } from '../../src/store/metaFile.js';
import { readTrace } from '../../src/store/traceReader.js';
import { StreamClientTransport } from './helpers/streamClientTransport.js';
import { until } from '../until.js';

const everything = resolve(__dirname, '..', '..', 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');

let dir: string;
let cleanups: (() => Promise<unknown>)[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'insp-attach-'));
});
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
  await rm(dir, { recursive: true, force: true });
});

async function proxiedSession(sessionId: string, breakOn: string[] = []) {
  const bus = createEventBus();
  const events: SessionEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const registry = createLiveSessionRegistry({ bus, tracesDir: dir });
  const gate = createRequestGate({ bus, sessionId, breakOn, progressIntervalMs: 50 });
  let writer: TraceWriter | undefined;
  const toProxy = new PassThrough();
  const fromProxy = new PassThrough();
  const stderr = new PassThrough();
  stderr.resume();
  const handle: ProxyHandle = await startProxy({
    upstream: { kind: 'stdio', command: process.execPath, args: [everything, 'stdio'] },
    clientIn: toProxy, clientOut: fromProxy, stderr, sessionId, gate,
    openRecording: recordTo(({ sessionId: id, title }) => (writer = createTraceWriter({ tracesDir: dir, sessionId: id, title, engine: 'proxy' }))),
  });
  const live = await attachLiveControl(handle, { registry, gate, ...(writer ? { writer } : {}) });
  const control = createLocalSessionControl({ registry, tracesDir: dir });
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StreamClientTransport(fromProxy, toProxy));
  cleanups.push(() => client.close(), () => handle.close(), () => registry.close());
  return { bus, events, registry, gate, handle, live, control, client };
}

const text = (r: unknown) => ((r as { content: { text: string }[] }).content[0]!.text);

describe('attachLiveControl with a real proxy and server-everything', () => {
  it('pause holds the next call until resume; step releases one; cancel answers with an error', async () => {
    const s = await proxiedSession('attach-pause');
    expect(text(await s.client.callTool({ name: 'echo', arguments: { message: 'one' } }))).toMatch(/one/);
    await s.control.signal('attach-pause', 'pause');
    const held = s.client.callTool({ name: 'echo', arguments: { message: 'two' } });
    await until(() => s.gate.held() === 1, 'the call held at the gate');
    await until(async () => (await readMetaFile(join(dir, 'attach-pause.meta.json')))?.status === 'paused', 'paused in the meta file');
    expect((await s.control.signal('attach-pause', 'resume')).message).toMatch(/released 1 held request/);
    expect(text(await held)).toMatch(/two/);

    await s.control.signal('attach-pause', 'pause');
    const a = s.client.callTool({ name: 'echo', arguments: { message: 'a' } });
    const b = s.client.callTool({ name: 'echo', arguments: { message: 'b' } });
    const bOutcome = b.then(() => undefined, (err: unknown) => err);
    for (let i = 0; i < 100 && s.gate.held() < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await s.control.signal('attach-pause', 'step');
    expect(text(await a)).toMatch(/a/);
    expect(s.gate.state().held).toMatchObject([{ method: 'tools/call', target: 'echo' }]); // b, answered by the cancel below
    const result = await s.control.signal('attach-pause', 'cancel', { reason: 'test over' });
    expect(result.status).toBe('cancelled');
    expect(String(await bOutcome)).toMatch(/cancelled/);
    const done = await s.handle.done;
    expect(done.status).toBe('cancelled');
    const finished = s.events.find((e) => e.type === 'SessionFinished');
    expect(finished).toMatchObject({ status: 'cancelled', reason: 'test over' });
    const { spans } = await readTrace(dir, 'attach-pause');
    const echoes = spans.filter((sp) => sp.name.startsWith('tools/call'));
    expect(echoes.length).toBeGreaterThanOrEqual(3);
    expect((await readMetaFile(join(dir, 'attach-pause.meta.json')))?.status).toBe('cancelled');
  });

  it('a breakpoint waits for approve; reject answers the client with the reason; progress keeps it alive', async () => {
    const s = await proxiedSession('attach-break', ['tools/call:echo']);
    const progress: unknown[] = [];
    const waiting = s.client.callTool({ name: 'echo', arguments: { message: 'gated' } }, undefined, { onprogress: (p) => progress.push(p), resetTimeoutOnProgress: true });
    for (let i = 0; i < 100 && s.gate.held() < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.events.find((e) => e.type === 'WaitingOnSignal')).toMatchObject({ signal: 'approve', method: 'tools/call' });
    expect(s.control.getLive('attach-break')).toMatchObject({ status: 'paused', waiting_on: 'approve' });
    // Other tools are not gated.
    expect(text(await s.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }))).toMatch(/3/);
    for (let i = 0; i < 100 && progress.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    await s.control.signal('attach-break', 'approve');
    expect(text(await waiting)).toMatch(/gated/);

    const rejected = s.client.callTool({ name: 'echo', arguments: { message: 'nope' } });
    for (let i = 0; i < 100 && s.gate.held() < 1; i++) await new Promise((r) => setTimeout(r, 10));
    await s.control.signal('attach-break', 'reject', { reason: 'not allowed' });
    await expect(rejected).rejects.toThrow(/not allowed/);
    await expect(s.control.signal('attach-break', 'approve')).rejects.toMatchObject({ code: 'SIGNAL_NOT_EXPECTED' });
    await s.client.close();
    expect((await s.handle.done).status).toBe('completed');
    for (let i = 0; i < 100 && !s.live.finished; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.live.finished).toBe(true);
    const { spans } = await readTrace(dir, 'attach-break');
    const rejectedSpan = spans.find((sp) => String(sp.attributes['mcp.rpc.response_json'] ?? '').includes('not allowed'));
    expect(rejectedSpan?.status.status_code).toBe('ERROR');
  });
});
