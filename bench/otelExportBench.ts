import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { Span } from '../src/core/span.js';
import { plainResource, toReadableSpan } from '../src/otel/toReadableSpan.js';
import { fmt, percentile, type BenchRow, type BenchSuite } from './benchRow.js';
import { IN_FLIGHT, parallel, sequential } from './proxyBench.js';

// Works from bench/ and from dist/bench/ (built): find the repository root.
const here = fileURLToPath(new URL('.', import.meta.url));
const ROOT = here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..') : join(here, '..');
const ECHO_SERVER = join(ROOT, 'test/fixtures/proxy/toyServer.mjs');
const CLI = join(ROOT, 'dist/src/cli.js');

type Setup = 'off' | 'on' | 'down';
const SETUPS: Setup[] = ['off', 'on', 'down'];
const ROUNDS = 9;
const SEQUENTIAL = 300;
const PARALLEL = 1500;
const SEQ_BLOCK = 100;

/** A stand-in collector in its own process (so its work does not load the measuring client): reads each request, answers 200. */
const RECEIVER = `const http = require('node:http');
let requests = 0;
const server = http.createServer((req, res) => { req.on('data', () => {}); req.on('end', () => { requests++; res.writeHead(200, { 'content-type': 'application/x-protobuf' }); res.end(); }); });
server.listen(0, '127.0.0.1', () => process.stdout.write('PORT ' + server.address().port + '\\n'));
process.stdin.on('end', () => { process.stdout.write('REQUESTS ' + requests + '\\n'); process.exit(0); }).resume();`;

async function startReceiver(): Promise<{ url: string; child: ChildProcess; requests: () => Promise<number> }> {
  const child = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`receiver exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    requests: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve(Number(/REQUESTS (\d+)/.exec(out)?.[1] ?? 0)));
        child.stdin!.end();
      }),
  };
}

async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

async function connect(setup: Setup, tracesDir: string, endpoint: Record<Setup, string | undefined>): Promise<Client> {
  const url = endpoint[setup];
  const args = [CLI, 'proxy', '--traces-dir', tracesDir, ...(url ? ['--otlp-endpoint', url] : []), '--', process.execPath, ECHO_SERVER];
  const client = new Client({ name: `bench-otlp-${setup}`, version: '1.0.0' });
  // A short export timeout, so the dead endpoint's session ends quickly at close.
  await client.connect(new StdioClientTransport({ command: process.execPath, args, cwd: ROOT, stderr: 'ignore', env: { PATH: process.env.PATH ?? '', OTEL_EXPORTER_OTLP_TIMEOUT: '1000' } }));
  return client;
}

interface Round {
  latencies: number[];
  parPerSec: number;
}

/** One round: sequential calls in blocks rotating over the setups, then each setup's parallel calls. */
async function round(clients: Map<Setup, Client>, r: number, seq: number, par: number): Promise<Map<Setup, Round>> {
  const out = new Map<Setup, Round>(SETUPS.map((s) => [s, { latencies: [], parPerSec: 0 }]));
  for (let b = 0; b < Math.ceil(seq / SEQ_BLOCK); b++) {
    for (let k = 0; k < SETUPS.length; k++) {
      const s = SETUPS[(r + b + k) % SETUPS.length]!;
      await sequential(clients.get(s)!, Math.min(SEQ_BLOCK, seq - b * SEQ_BLOCK), out.get(s)!.latencies);
    }
  }
  for (let k = 0; k < SETUPS.length; k++) {
    const s = SETUPS[(r + k) % SETUPS.length]!;
    out.get(s)!.parPerSec = par / ((await parallel(clients.get(s)!, par)) / 1000);
  }
  return out;
}

/** Up to `max` span lines of the traces under `dir` (the bench's own recordings). */
async function recordedLines(dir: string, max: number): Promise<string[]> {
  const lines: string[] = [];
  for (const name of (await readdir(dir)).filter((n) => /\.jsonl\.gz(\.\d+)?$/.test(n))) {
    for (const line of gunzipSync(await readFile(join(dir, name))).toString('utf8').split('\n')) {
      if (line.includes('"span_id"')) lines.push(line);
      if (lines.length >= max) return lines;
    }
  }
  return lines;
}

/**
 * CPU per span of what the export worker does with each line (JSON.parse, conversion to the
 * SDK's ReadableSpan, the official protobuf serializer), on this thread, in batches of 512 like
 * the queue's: the floor of what export costs a machine whose cores are all busy.
 */
function encodeMicrosPerSpan(lines: string[]): number {
  const identity = { resource: plainResource({ 'service.name': 'bench' }), scope: { name: 'mcpscope' } };
  let spans = 0;
  const t = performance.now();
  while (performance.now() - t < 500) {
    for (let i = 0; i < lines.length; i += 512) {
      const batch = lines.slice(i, i + 512).map((l) => toReadableSpan(JSON.parse(l) as Span, identity));
      ProtobufTraceSerializer.serializeRequest(batch as never);
      spans += batch.length;
    }
  }
  return ((performance.now() - t) * 1000) / spans;
}

/**
 * The recording proxy in front of an echo server with OTLP export off, on (to a local receiver
 * in its own process) and on towards a dead endpoint (every span dropped), side by side in the
 * same run: sequential calls interleaved in blocks, then 16 in flight, per-round ratios, median
 * over rounds (the machine is noisy; see proxyBench).
 */
export const otelExportBench: BenchSuite = async () => {
  const tracesDir = await mkdtemp(join(tmpdir(), 'otel-export-bench-'));
  const receiver = await startReceiver();
  const endpoint: Record<Setup, string | undefined> = { off: undefined, on: receiver.url, down: await deadUrl() };
  const clients = new Map<Setup, Client>();
  const rounds = new Map<Setup, Round[]>(SETUPS.map((s) => [s, []]));
  let exportRequests = 0;
  let encodeUs = Number.NaN;
  try {
    for (const s of SETUPS) clients.set(s, await connect(s, tracesDir, endpoint));
    await round(clients, 0, 600, 2000);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [s, measured] of await round(clients, r, SEQUENTIAL, PARALLEL)) rounds.get(s)!.push(measured);
    }
  } finally {
    for (const c of clients.values()) await c.close().catch(() => {});
    exportRequests = await receiver.requests();
    const lines = await recordedLines(tracesDir, 4096).catch(() => []);
    if (lines.length > 0) encodeUs = encodeMicrosPerSpan(lines);
    await rm(tracesDir, { recursive: true, force: true });
  }
  const median = (v: number[]) => percentile(v, 50);
  const ratio = (a: Setup, b: Setup, of: (r: Round) => number) => median(rounds.get(a)!.map((r, i) => of(r) / of(rounds.get(b)![i]!)));
  const p50 = (s: Setup) => percentile(rounds.get(s)!.flatMap((r) => r.latencies), 50);
  const par = (s: Setup) => median(rounds.get(s)!.map((r) => r.parPerSec));
  const us = (v: number) => `${fmt(v * 1000)} µs`;
  const pct = (v: number) => `${fmt(v * 100, 1)}%`;
  const rows: BenchRow[] = [];
  for (const s of ['on', 'down'] as const) {
    const what = s === 'on' ? 'OTLP export on (local receiver)' : 'OTLP export to a dead endpoint';
    const p = ratio(s, 'off', (r) => percentile(r.latencies, 50));
    const pr = ratio(s, 'off', (r) => r.parPerSec);
    rows.push(
      {
        name: `proxy: tools/call sequential, ${what} vs off`,
        measured: `p50 ${us(p50(s))} (${pct(p)} of off, median of per-round ratios)`,
        target: 'p50 within 5% of off',
        baseline: `export off: p50 ${us(p50('off'))}`,
        ok: p <= 1.05,
      },
      {
        name: `proxy: tools/call ${IN_FLIGHT} in flight, ${what} vs off`,
        measured: `${fmt(par(s))} calls/s (${pct(pr)} of off, median of per-round ratios)${s === 'on' ? `; ${fmt(exportRequests)} export requests received` : ''}`,
        target: '>= 95% of off',
        baseline: `export off: ${fmt(par('off'))} calls/s`,
        ok: pr >= 0.95,
      },
    );
  }
  // With 16 in flight the client, proxy and server keep every core busy, so each call already
  // costs cores / calls-per-second of CPU; export adds its encoding (one span per call) on top.
  const cores = availableParallelism();
  const perCallUs = (cores * 1e6) / par('off');
  const ceiling = perCallUs / (perCallUs + encodeUs);
  rows.push({
    name: `proxy: ${IN_FLIGHT} in flight with OTLP export, CPU floor of the official encoder`,
    measured: `${fmt(encodeUs, 1)} µs/span to parse, convert and protobuf-encode; ceiling ${pct(ceiling)} of off when every core is busy`,
    target: '(reported: the floor beside the >= 95% row)',
    baseline: `export off: ${fmt(perCallUs, 0)} µs of CPU per call (${cores} cores / ${fmt(par('off'))} calls/s)`,
    ok: true,
  });
  return rows;
};
