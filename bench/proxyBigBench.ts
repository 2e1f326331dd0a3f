import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fmt, percentile, type BenchRow } from './benchRow.js';
import { abRow, oldCliPath, WITHIN_NOISE } from './oldBuild.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const ROOT = here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..') : join(here, '..');
const TOY_SERVER = join(ROOT, 'test/fixtures/proxy/toyServer.mjs');
const CLI = join(ROOT, 'dist/src/cli.js');
const PIPE_RELAY = join(ROOT, 'test/fixtures/proxy/pipeRelay.mjs');

/** `bare-old` and `recording-old` run the old build (BENCH_OLD_ROOT) against the same server. */
type Setup = 'relay' | 'bare' | 'recording' | 'bare-old' | 'recording-old';
const NEW_SETUPS: Setup[] = ['relay', 'bare', 'recording'];
const OLD_SETUPS: Setup[] = ['bare-old', 'recording-old'];
/** The size of each tools/call result. */
const RESULT_BYTES = 100 * 1024;
const ROUNDS = 7;
/** Sequential calls per setup per round, in blocks that rotate the setups. */
const PER_ROUND = 120;
const BLOCK = 20;
const WARM_UP = 200;

async function connect(setup: Setup, tracesDir: string, oldCli: string | undefined): Promise<Client> {
  const old = setup === 'bare-old' || setup === 'recording-old';
  const record = setup === 'recording' || setup === 'recording-old';
  const args =
    setup === 'relay'
      ? [PIPE_RELAY, process.execPath, TOY_SERVER]
      : [old ? oldCli! : CLI, 'proxy', ...(record ? ['--traces-dir', old ? join(tracesDir, 'old') : tracesDir] : ['--no-record']), '--', process.execPath, TOY_SERVER];
  const client = new Client({ name: `bench-big-${setup}`, version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args, cwd: ROOT, stderr: 'ignore' }));
  return client;
}

async function calls(client: Client, count: number, latencies: number[] | undefined): Promise<void> {
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    await client.callTool({ name: 'big', arguments: { bytes: RESULT_BYTES } });
    latencies?.push(performance.now() - s);
  }
}

/** Per round: each setup's latencies, the setups interleaved in blocks in a rotating order. */
async function rounds(clients: Map<Setup, Client>): Promise<Array<Map<Setup, number[]>>> {
  const setups = [...clients.keys()];
  for (const s of setups) await calls(clients.get(s)!, WARM_UP, undefined);
  const out: Array<Map<Setup, number[]>> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const lat = new Map<Setup, number[]>(setups.map((s) => [s, []]));
    for (let b = 0; b < PER_ROUND / BLOCK; b++) {
      for (let k = 0; k < setups.length; k++) {
        const s = setups[(r + b + k) % setups.length]!;
        await calls(clients.get(s)!, BLOCK, lat.get(s));
      }
    }
    out.push(lat);
  }
  return out;
}

/**
 * tools/call with a ~100 KB text result, sequential: the bare proxy against a zero-work pipe
 * relay, and the recording proxy against the bare one, measured side by side in one interleaved
 * run (ratios taken per round, judged on their median, as the small-message rows do). What it
 * measures is the forwarding path's cost per byte of a big response. With BENCH_OLD_ROOT set, the
 * old build's bare and recording proxies join the same rounds, and extra rows compare new with old.
 */
export async function proxyBigRows(): Promise<BenchRow[]> {
  const oldCli = oldCliPath();
  const setups = oldCli ? [...NEW_SETUPS, ...OLD_SETUPS] : NEW_SETUPS;
  const tracesDir = await mkdtemp(join(tmpdir(), 'proxy-big-bench-'));
  const clients = new Map<Setup, Client>();
  let measured: Array<Map<Setup, number[]>>;
  try {
    for (const s of setups) clients.set(s, await connect(s, tracesDir, oldCli));
    measured = await rounds(clients);
  } finally {
    for (const c of clients.values()) await c.close().catch(() => {});
    await rm(tracesDir, { recursive: true, force: true });
  }
  const median = (v: number[]) => percentile(v, 50);
  const ratio = (a: Setup, b: Setup, p: number) => median(measured.map((m) => percentile(m.get(a)!, p) / percentile(m.get(b)!, p)));
  const pooled = (s: Setup) => measured.flatMap((m) => m.get(s)!);
  const us = (v: number) => `${fmt(v * 1000, 0)} µs`;
  const lat = (s: Setup) => `p50 ${us(percentile(pooled(s), 50))}, p99 ${us(percentile(pooled(s), 99))}`;
  const x = (v: number) => `${fmt(v, 2)}x`;
  const bareRelay = ratio('bare', 'relay', 50);
  const recBare = ratio('recording', 'bare', 50);
  if (process.env.BENCH_VERBOSE) {
    for (const s of setups) process.stderr.write(`proxy big ${s}: p50 per round ${measured.map((m) => fmt(median(m.get(s)!) * 1000)).join(' ')} µs\n`);
  }
  return [
    {
      name: 'proxy: tools/call with a 100 KB result, bare vs pipe relay',
      measured: `${lat('bare')}; p50 ${x(bareRelay)} relay, p99 ${x(ratio('bare', 'relay', 99))}`,
      target: 'p50 <= 1.15x relay',
      baseline: `zero-work pipe relay ${lat('relay')}`,
      ok: bareRelay <= 1.15,
    },
    {
      name: 'proxy: tools/call with a 100 KB result, recording vs bare',
      measured: `${lat('recording')}; p50 ${x(recBare)} bare, p99 ${x(ratio('recording', 'bare', 99))}`,
      target: 'p50 <= 1.35x bare',
      baseline: `bare ${lat('bare')}`,
      ok: recBare <= 1.35,
    },
    ...(oldCli
      ? (['bare', 'recording'] as const).flatMap((now) => {
          const old: Setup = `${now}-old`;
          const at = (s: Setup, p: number) => us(percentile(pooled(s), p));
          const name = (p: number) => `proxy A/B: 100 KB result, ${now}, p${p}, new vs old build`;
          return [
            abRow(name(50), ratio(now, old, 50), `p50 ${at(now, 50)}`, `p50 ${at(old, 50)}`, WITHIN_NOISE.p50),
            // Pooled, as the small-message tail row: a round's 120 calls hold one or two p99 samples.
            abRow(name(99), percentile(pooled(now), 99) / percentile(pooled(old), 99), `p99 ${at(now, 99)}`, `p99 ${at(old, 99)}`, WITHIN_NOISE.p99),
          ];
        })
      : []),
  ];
}
