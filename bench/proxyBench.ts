import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fmt, percentile, type BenchRow, type BenchSuite } from './benchRow.js';

// Works from bench/ (tsx/vitest) and from dist/bench/ (built): find the repository root.
const here = fileURLToPath(new URL('.', import.meta.url));
const ROOT = here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..') : join(here, '..');
const ECHO_SERVER = join(ROOT, 'test/fixtures/proxy/toyServer.mjs');
const CLI = join(ROOT, 'dist/src/cli.js');
const PIPE_RELAY = join(ROOT, 'test/fixtures/proxy/pipeRelay.mjs');

interface Figures {
  latencies: number[];
  seqPerSec: number;
  parPerSec: number;
}

type Setup = 'direct' | 'relay' | 'bare' | 'recording';

async function connect(setup: Setup, tracesDir: string): Promise<Client> {
  const args =
    setup === 'direct'
      ? [ECHO_SERVER]
      : setup === 'relay'
        ? [PIPE_RELAY, process.execPath, ECHO_SERVER]
        : [CLI, 'proxy', ...(setup === 'bare' ? ['--no-record'] : ['--traces-dir', tracesDir]), '--', process.execPath, ECHO_SERVER];
  const client = new Client({ name: `bench-${setup}`, version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args, cwd: ROOT, stderr: 'ignore' }));
  return client;
}

const call = (client: Client, i: number) => client.callTool({ name: 'echo', arguments: { text: `message ${i} ${'x'.repeat(200)}` } });

/** One round: `seq` sequential calls (latencies) and `par` calls with 16 in flight. */
async function round(client: Client, seq: number, par: number, into: Figures): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < seq; i++) {
    const s = performance.now();
    await call(client, i);
    into.latencies.push(performance.now() - s);
  }
  into.seqPerSec += seq / ((performance.now() - t0) / 1000);
  let next = 0;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < par) await call(client, next++);
    }),
  );
  into.parPerSec += par / ((performance.now() - t1) / 1000);
}

/**
 * tools/call latency and throughput of an SDK client talking to a small echo server (a) directly,
 * (b) through the proxy with recording off, (c) through the recording proxy, plus a zero-work
 * pipe relay (the floor any stdio proxy pays for its two extra hops). Rounds are
 * interleaved so that background load hits all three alike.
 */
export const proxyBench: BenchSuite = async () => {
  const tracesDir = await mkdtemp(join(tmpdir(), 'proxy-bench-'));
  const setups: Setup[] = ['direct', 'relay', 'bare', 'recording'];
  const clients = new Map<Setup, Client>();
  const figures = new Map<Setup, Figures>(setups.map((s) => [s, { latencies: [], seqPerSec: 0, parPerSec: 0 }]));
  const rounds = 3;
  try {
    for (const s of setups) clients.set(s, await connect(s, tracesDir));
    for (const s of setups) await round(clients.get(s)!, 300, 300, { latencies: [], seqPerSec: 0, parPerSec: 0 }); // warm-up
    for (let r = 0; r < rounds; r++) for (const s of setups) await round(clients.get(s)!, 750, 2000, figures.get(s)!);
  } finally {
    for (const c of clients.values()) await c.close().catch(() => {});
    await rm(tracesDir, { recursive: true, force: true });
  }
  const p = (s: Setup, q: number) => percentile(figures.get(s)!.latencies, q);
  const par = (s: Setup) => figures.get(s)!.parPerSec / rounds;
  const seq = (s: Setup) => figures.get(s)!.seqPerSec / rounds;
  const ms = (v: number) => `${fmt(v * 1000, 0)} µs`;
  const lat = (s: Setup) => `p50 ${ms(p(s, 50))}, p99 ${ms(p(s, 99))}, ${fmt(seq(s))} calls/s`;
  return [
    {
      name: 'proxy: tools/call sequential, recording vs bare',
      measured: lat('recording'),
      target: 'p50 <= 1.10x bare',
      baseline: `bare ${lat('bare')}`,
      ok: p('recording', 50) <= 1.1 * p('bare', 50),
    },
    {
      name: 'proxy: tools/call 16 in flight, recording vs bare',
      measured: `${fmt(par('recording'))} calls/s`,
      target: '>= 0.85x bare',
      baseline: `bare ${fmt(par('bare'))} calls/s`,
      ok: par('recording') >= 0.85 * par('bare'),
    },
    {
      name: 'proxy: tools/call sequential, bare vs direct',
      measured: lat('bare'),
      target: 'p50 <= 1.5x direct',
      baseline: `direct ${lat('direct')}`,
      ok: p('bare', 50) <= 1.5 * p('direct', 50),
    },
    {
      name: 'proxy: tools/call sequential, bare vs pipe relay',
      measured: lat('bare'),
      target: '(reported)',
      baseline: `zero-work pipe relay ${lat('relay')}`,
      ok: true,
    },
    {
      name: 'proxy: tools/call 16 in flight, bare vs direct',
      measured: `${fmt(par('bare'))} calls/s`,
      target: '(reported)',
      baseline: `direct ${fmt(par('direct'))} calls/s`,
      ok: true,
    },
  ] satisfies BenchRow[];
};
