import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { readTrace } from '../src/store/traceReader.js';
import { fmt, type BenchSuite } from './benchRow.js';

// Works from bench/ (vitest) and from dist/bench/ (built): find the repository root.
const here = fileURLToPath(new URL('.', import.meta.url));
const ROOT = here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..') : join(here, '..');
const CLI = join(ROOT, 'dist/src/cli.js');
const RAW_SERVER = join(ROOT, 'test/fixtures/proxy/rawServer.mjs');

/** The most answered traffic a SIGKILL may cost the trace (README, "Trace files"). */
export const CRASH_LOSS_TARGET_MS = 200;

/** What one kill cost. */
export interface CrashTrial {
  /** When the kill came, after the first answer (ms). */
  killAfterMs: number;
  answered: number;
  /** Answered calls missing from the trace. */
  lostSpans: number;
  /** From the last answered call in the trace to the last answered call before the kill (ms). */
  lostMs: number;
}

export interface CrashSoakOptions {
  kills: number;
  /** Calls kept in flight. Default 16. */
  inFlight?: number;
  /** Kill moments are uniform in [minMs, maxMs] after the first answer. Default 0-700 ms. */
  minMs?: number;
  maxMs?: number;
  /** Per-trial progress. */
  log?: (line: string) => void;
}

/** xorshift32: reproducible kill moments for a given seed (printed with the figures). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/**
 * One trial: the built proxy records a raw JSON-RPC server while this process keeps
 * `inFlight` tools/call requests going at full rate and notes when each is answered; at
 * `killAfterMs` after the first answer the proxy is SIGKILLed (then its upstream). Loss is
 * what was answered to the client but is not in the trace.
 */
export async function crashTrial(tracesDir: string, sessionId: string, killAfterMs: number, inFlight = 16): Promise<CrashTrial> {
  const proxy = spawn(process.execPath, [CLI, 'proxy', '--traces-dir', tracesDir, '--session-id', sessionId, '--', process.execPath, RAW_SERVER], { stdio: ['pipe', 'pipe', 'ignore'], cwd: ROOT });
  const exited = new Promise<void>((resolve) => proxy.once('exit', () => resolve()));
  proxy.stdin.on('error', () => undefined);
  const answeredAt = new Map<string, number>();
  let next = 0;
  let killed = false;
  let firstAnswer: number | undefined;
  const text = 'x'.repeat(200);
  const send = (): void => {
    if (killed) return;
    const id = next++;
    proxy.stdin.write(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"${text}","n":${id}}}}\n`);
  };
  let upstreamPid: number | undefined;
  const done = new Promise<void>((resolve) => {
    let buffered = '';
    proxy.stdout.on('data', (chunk: Buffer) => {
      if (killed) return;
      const now = performance.now();
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^\{"jsonrpc":"2\.0","id":(\d+),/.exec(line);
        if (!m) continue;
        answeredAt.set(m[1]!, now);
        send();
      }
      if (firstAnswer === undefined && answeredAt.size > 0) {
        firstAnswer = now;
        upstreamPid = childPid(proxy.pid!);
        setTimeout(() => {
          killed = true;
          proxy.kill('SIGKILL');
          resolve();
        }, killAfterMs);
      }
    });
    // Bounded: a proxy that exits by itself ends the trial; one that never answers is killed after 10 s.
    proxy.once('exit', () => resolve());
    setTimeout(() => {
      killed = true;
      proxy.kill('SIGKILL');
      resolve();
    }, 10_000).unref();
  });
  for (let i = 0; i < inFlight; i++) send();
  await done;
  await exited;
  if (upstreamPid !== undefined) {
    try {
      process.kill(upstreamPid, 'SIGKILL');
    } catch {
      // gone with its stdin
    }
  }
  const recorded = new Set<string>();
  try {
    for (const span of (await readTrace(tracesDir, sessionId)).spans) {
      const id = span.attributes['jsonrpc.request.id'];
      if (span.status.status_code !== 'ERROR' && id !== undefined) recorded.add(String(id));
    }
  } catch {
    // no trace at all: everything answered is lost
  }
  let lastAnswered = 0;
  let lastRecorded = firstAnswer ?? 0;
  let lost = 0;
  for (const [id, at] of answeredAt) {
    lastAnswered = Math.max(lastAnswered, at);
    if (recorded.has(id)) lastRecorded = Math.max(lastRecorded, at);
    else lost++;
  }
  return { killAfterMs, answered: answeredAt.size, lostSpans: lost, lostMs: lost === 0 ? 0 : Math.max(0, lastAnswered - lastRecorded) };
}

/** The pid of `pid`'s first child (the upstream server), from /proc; undefined elsewhere. */
function childPid(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `kills` trials in a fresh traces directory (removed after) and returns them. */
export async function runCrashSoak(options: CrashSoakOptions, seed = Date.now()): Promise<{ trials: CrashTrial[]; seed: number }> {
  const rand = random(seed);
  const min = options.minMs ?? 0;
  const max = options.maxMs ?? 700;
  const dir = await mkdtemp(join(tmpdir(), 'crash-soak-'));
  const trials: CrashTrial[] = [];
  try {
    for (let i = 0; i < options.kills; i++) {
      const t = await crashTrial(dir, `soak-${i}-${seed}`, Math.round(min + rand() * (max - min)), options.inFlight);
      trials.push(t);
      options.log?.(`kill ${i + 1}/${options.kills} at +${t.killAfterMs} ms: ${fmt(t.answered)} answered, ${fmt(t.lostSpans)} lost (${fmt(t.lostMs, 1)} ms)`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { trials, seed };
}

/** `npm run bench crash`: 30 SIGKILLs of a recording proxy under full load. */
export const crashSoakBench: BenchSuite = async () => {
  const { trials, seed } = await runCrashSoak({ kills: 30, log: process.env.BENCH_VERBOSE ? (l) => process.stderr.write(`${l}\n`) : undefined });
  const worstMs = Math.max(...trials.map((t) => t.lostMs));
  const worstSpans = Math.max(...trials.map((t) => t.lostSpans));
  const answered = trials.reduce((a, t) => a + t.answered, 0);
  return [
    {
      name: 'proxy SIGKILL under load: worst answered traffic lost (30 kills)',
      measured: `${fmt(worstMs, 1)} ms (${fmt(worstSpans)} calls)`,
      target: `< ${CRASH_LOSS_TARGET_MS} ms`,
      baseline: `${fmt(answered)} calls answered in all; seed ${seed}`,
      ok: worstMs < CRASH_LOSS_TARGET_MS,
    },
  ];
};
