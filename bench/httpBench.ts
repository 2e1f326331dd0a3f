import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { request } from 'undici';
import type { Span } from '../src/core/span.js';
import { startGateway } from '../src/http/startGateway.js';
import { createEventBus } from '../src/sessions/eventBus.js';
import { createLiveSessionRegistry } from '../src/sessions/liveSessionRegistry.js';
import { createLocalSessionControl } from '../src/sessions/sessionControl.js';
import { findTraceParts } from '../src/store/traceParts.js';
import { createTraceWriter } from '../src/store/traceWriter.js';
import { fmt, percentile, type BenchRow, type BenchSuite } from './benchRow.js';

const TRACE_ID = 'bench-http-100mb';
const TRACE_BYTES = 100 * 1024 * 1024;
const TAIL = 1024 * 1024;

/** Writes a ~100 MB NDJSON trace with the real trace writer (many gzip members, sidecar index). */
async function writeBigTrace(tracesDir: string): Promise<void> {
  const writer = createTraceWriter({ tracesDir, sessionId: TRACE_ID, title: 'http bench', engine: 'proxy', flushBytes: 256 * 1024 });
  const pad = 'x'.repeat(2000);
  let bytes = 0;
  for (let i = 0; bytes < TRACE_BYTES; i++) {
    const span: Span = {
      trace_id: 'ab'.repeat(16),
      span_id: (i + 1).toString(16).padStart(16, '0'),
      name: 'tools/call read_file',
      kind: 'SERVER',
      start_time: '2026-01-01T00:00:00.000000Z',
      end_time: '2026-01-01T00:00:00.001000Z',
      status: { status_code: 'OK' },
      attributes: { 'mcp.method.name': 'tools/call', 'mcp.rpc.response_json': `{"n":${i},"pad":"${pad}"}` },
    };
    writer.write(span);
    bytes += 2200;
    if (i % 2000 === 0) await writer.flush();
  }
  await writer.close();
}

/** `bytes=-1048576` from a 100 MB trace vs decompressing the whole file (what a tail costs without a member index). */
async function tailRange(): Promise<BenchRow> {
  const dir = await mkdtemp(join(tmpdir(), 'inspector-http-bench-'));
  const gateway = await startGateway({ tracesDir: dir, port: 0, log: () => undefined });
  try {
    await writeBigTrace(dir);
    const url = `${gateway.url}/_inspector/trace/${TRACE_ID}`;
    const times: number[] = [];
    let size = 0;
    for (let i = 0; i < 21; i++) {
      const t0 = performance.now();
      const res = await request(url, { headers: { range: `bytes=-${TAIL}` } });
      const body = await res.body.arrayBuffer();
      const ms = performance.now() - t0;
      if (res.statusCode !== 206 || body.byteLength !== TAIL) throw new Error(`unexpected ${res.statusCode} / ${body.byteLength} bytes`);
      size = Number(String(res.headers['content-range']).split('/')[1]);
      if (i > 0) times.push(ms); // the first request also builds the layout cache
    }
    const baseline: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      for (const path of (await findTraceParts(dir, TRACE_ID)).gz) {
        await pipeline(createReadStream(path), createGunzip(), new Writable({ write: (_c, _e, cb) => cb() }));
      }
      baseline.push(performance.now() - t0);
    }
    const p50 = percentile(times, 50);
    return {
      name: `trace range bytes=-1MiB of ${fmt(size / 1048576)} MiB NDJSON`,
      measured: `p50 ${fmt(p50, 1)} ms, p95 ${fmt(percentile(times, 95), 1)} ms`,
      baseline: `full decompression ${fmt(percentile(baseline, 50), 0)} ms`,
      target: '< 50 ms',
      ok: p50 < 50,
    };
  } finally {
    await gateway.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const CLIENTS = 100;
const EVENTS = 200;

/**
 * The SSE clients run in a child process (so parsing 100 streams does not compete with the
 * server's event loop): it opens CLIENTS raw connections, prints `ready` once every response
 * head arrived, records now - t (epoch ms, comparable across processes) for each event, and
 * prints the latencies as JSON when stdin says `done`.
 */
const CLIENT_SCRIPT = `
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
const [port, path, count] = process.argv.slice(1);
const now = () => performance.timeOrigin + performance.now();
const latencies = [];
const sockets = [];
let ready = 0;
for (let i = 0; i < Number(count); i++) {
  const socket = connect(Number(port), '127.0.0.1');
  socket.setNoDelay(true);
  let buffer = '';
  let head = false;
  socket.on('data', (chunk) => {
    const at = now();
    buffer += chunk.toString('latin1');
    if (!head && buffer.includes('\\r\\n\\r\\n')) { head = true; if (++ready === Number(count)) process.stdout.write('ready\\n'); }
    for (;;) {
      const m = /"t":([0-9.]+)\\}/.exec(buffer);
      if (!m) break;
      const t = Number(m[1]);
      if (t > 0) latencies.push(at - t); // t = 0 marks warm-up events
      buffer = buffer.slice(m.index + m[0].length);
    }
    if (buffer.length > 65536) buffer = buffer.slice(-1024);
  });
  socket.on('error', () => {});
  socket.write('GET ' + path + ' HTTP/1.1\\r\\nHost: 127.0.0.1:' + port + '\\r\\nAccept: text/event-stream\\r\\n\\r\\n');
  sockets.push(socket);
}
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'count') process.stdout.write(latencies.length + '\\n');
  if (line === 'done') break;
}
process.stdout.write(JSON.stringify(latencies) + '\\n');
for (const s of sockets) s.destroy();
`;

const epochNow = () => performance.timeOrigin + performance.now();

/** Runs CLIENTS SSE clients in a child process against `port`/`path` while `publish` sends EVENTS events; returns the latencies. */
async function measureFanOut(port: number, path: string, publish: (t: number) => void): Promise<number[]> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT_SCRIPT, String(port), path, String(CLIENTS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await Promise.race([lines.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('client process timed out')), 30_000).unref())]);
    if (r.done) throw new Error('client process ended early');
    return r.value;
  };
  try {
    if ((await next()) !== 'ready') throw new Error('client process not ready');
    for (let i = 0; i < 20; i++) {
      publish(0);
      await new Promise((r) => setTimeout(r, 5));
    }
    for (let i = 0; i < EVENTS; i++) {
      publish(epochNow());
      await new Promise((r) => setTimeout(r, 5));
    }
    for (let i = 0; i < 100; i++) {
      child.stdin!.write('count\n');
      if (Number(await next()) >= CLIENTS * EVENTS) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.stdin!.write('done\n');
    return JSON.parse(await next()) as number[];
  } finally {
    child.kill();
  }
}

/** SSE delivery latency to 100 clients through the gateway vs raw res.write fan-out to the same clients. */
async function sseLatency(): Promise<BenchRow> {
  const dir = await mkdtemp(join(tmpdir(), 'inspector-http-bench-'));
  const bus = createEventBus();
  const control = createLocalSessionControl({ registry: createLiveSessionRegistry({ bus }) });
  const gateway = await startGateway({ tracesDir: dir, port: 0, control, sse: { maxClients: CLIENTS + 10 }, log: () => undefined });
  const rawClients: ServerResponse[] = [];
  const raw = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write('retry:2000\n\n');
    rawClients.push(res);
  });
  let latencies: number[] = [];
  let baseLatencies: number[] = [];
  try {
    latencies = await measureFanOut(gateway.port, '/_inspector/events', (t) => bus.publish({ type: 'SignalReceived', session_id: 'bench-sse-1', signal: 'tick', payload: { t } }));
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    let seq = 0;
    baseLatencies = await measureFanOut((raw.address() as { port: number }).port, '/', (t) => {
      const event = { type: 'SignalReceived', session_id: 'bench-sse-1', signal: 'tick', payload: { t }, id: `b-${++seq}`, time: '' };
      const text = `id:${event.id}\nevent:${event.type}\ndata:${JSON.stringify(event)}\n\n`;
      for (const res of rawClients) res.write(text);
    });
  } finally {
    raw.closeAllConnections();
    await new Promise((r) => raw.close(r));
    await gateway.close();
    await control.close();
    await rm(dir, { recursive: true, force: true });
  }
  const p99 = percentile(latencies, 99);
  const complete = latencies.length === CLIENTS * EVENTS;
  return {
    name: `SSE delivery to ${CLIENTS} clients (${EVENTS} events)`,
    measured: `p50 ${fmt(percentile(latencies, 50), 2)} ms, p99 ${fmt(p99, 2)} ms${complete ? '' : ` (${latencies.length} of ${CLIENTS * EVENTS} delivered)`}`,
    baseline: `raw res.write fan-out p50 ${fmt(percentile(baseLatencies, 50), 2)} ms, p99 ${fmt(percentile(baseLatencies, 99), 2)} ms`,
    target: 'p99 < 10 ms, all delivered',
    ok: complete && p99 < 10,
  };
}

/** HTTP gateway benchmarks: tail range of a 100 MB trace, SSE fan-out latency. */
export const httpBench: BenchSuite = async () => [await tailRange(), await sseLatency()];
