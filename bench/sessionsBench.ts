import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { SessionEvent } from '../src/core/events.js';
import { createEventBus } from '../src/sessions/eventBus.js';
import type { GateDecision } from '../src/sessions/gateTypes.js';
import { createRequestGate } from '../src/sessions/requestGate.js';
import { createSessionControl } from '../src/sessions/sessionControl.js';
import { fmt, percentile, type BenchRow, type BenchSuite } from './benchRow.js';

const io = { notifyClient: () => undefined };

/** Per-request cost of admit(): ungated (fast path) vs held by a pause and released by resume. */
async function gateOverhead(): Promise<BenchRow> {
  const n = 20_000;
  const bus = createEventBus();
  const open = createRequestGate({ bus, sessionId: 'bench-open' });
  const t0 = performance.now();
  let forwarded = 0;
  for (let i = 0; i < n; i++) if (open.admit({ id: i, method: 'tools/call' }, io) === undefined) forwarded++;
  const ungatedUs = ((performance.now() - t0) * 1000) / n;

  const gate = createRequestGate({ bus, sessionId: 'bench-held' });
  const t1 = performance.now();
  gate.pause();
  const held: Promise<GateDecision>[] = [];
  for (let i = 0; i < n; i++) held.push(gate.admit({ id: i, method: 'tools/call' }, io)!);
  gate.resume();
  const decisions = await Promise.all(held);
  const heldUs = ((performance.now() - t1) * 1000) / n;
  const ok = forwarded === n && decisions.every((d) => d.action === 'forward') && heldUs < 20;
  return {
    name: 'gate: paused-then-resumed request (admit -> decision)',
    measured: `${fmt(heldUs, 2)} µs/request`,
    baseline: `ungated admit ${fmt(ungatedUs, 3)} µs/request`,
    target: '< 20 µs/request, nothing dropped',
    ok,
  };
}

const CHILD = `
const [dist, tracesDir] = process.argv.slice(1);
const { createEventBus } = await import(dist + 'eventBus.js');
const { createRequestGate } = await import(dist + 'requestGate.js');
const { createLiveSessionRegistry, registerLiveSession } = await import(dist + 'liveSessionRegistry.js');
const { createInterface } = await import('node:readline');
const bus = createEventBus();
const registry = createLiveSessionRegistry({ bus, tracesDir });
const gate = createRequestGate({ bus, sessionId: 'bench-child' });
await registerLiveSession(registry, { sessionId: 'bench-child', title: 'bench', engine: 'proxy', gate });
process.stdout.write('ready\\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'pause') gate.pause(); else if (line === 'resume') gate.resume(); else if (line === 'echo') process.stdout.write('echo\\n'); else break;
}
await registry.close();
`;

/** Status change in a child process -> event on serve's bus, over the control socket. */
async function crossProcessLatency(): Promise<BenchRow> {
  const dir = await mkdtemp(join(tmpdir(), 'insp-bench-'));
  const dist = new URL('../src/sessions/', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dist, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  let onLine: ((l: string) => void) | undefined;
  lines.on('line', (l) => onLine?.(l));
  const nextLine = (ms = 5000) => new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('child did not answer')), ms);
    onLine = (l) => { clearTimeout(t); resolve(l); };
  });
  const bus = createEventBus();
  let onEvent: ((e: SessionEvent) => void) | undefined;
  bus.subscribe((e) => onEvent?.(e));
  const nextEvent = (type: string, ms = 5000) => new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${type} event`)), ms);
    onEvent = (e) => { if (e.type === type) { clearTimeout(t); resolve(); } };
  });
  const control = await createSessionControl({ tracesDir: dir, bus, rescanMs: 100 });
  try {
    await nextLine(10_000);
    for (let i = 0; i < 100 && !control.getLive('bench-child'); i++) {
      await control.refresh();
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!control.getLive('bench-child')) throw new Error('serve did not discover the child session');
    const latencies: number[] = [];
    const pipe: number[] = [];
    for (let i = 0; i < 40; i++) {
      const type = i % 2 === 0 ? 'SessionPaused' : 'SessionResumed';
      const waiting = nextEvent(type);
      const t0 = performance.now();
      child.stdin!.write(i % 2 === 0 ? 'pause\n' : 'resume\n');
      await waiting;
      latencies.push(performance.now() - t0);
      const echoed = nextLine();
      const t1 = performance.now();
      child.stdin!.write('echo\n');
      await echoed;
      pipe.push(performance.now() - t1);
    }
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    return {
      name: 'status change in another process -> serve bus',
      measured: `p50 ${fmt(p50, 2)} ms, p95 ${fmt(p95, 2)} ms`,
      baseline: `stdin->stdout pipe round trip p50 ${fmt(percentile(pipe, 50), 2)} ms`,
      target: 'p95 < 50 ms',
      ok: p95 < 50,
    };
  } finally {
    child.stdin!.end('exit\n');
    await new Promise((r) => { const t = setTimeout(() => { child.kill('SIGKILL'); r(undefined); }, 3000); child.once('exit', () => { clearTimeout(t); r(undefined); }); });
    await control.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Benchmarks of the live-session layer (issue 5). */
export const sessionsBench: BenchSuite = async () => [await gateOverhead(), await crossProcessLatency()];
