import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, type BenchRow } from './benchRow.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const ROOT = here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..') : join(here, '..');
const CLI = join(ROOT, 'dist/src/cli.js');
const FLOOD_SERVER = join(ROOT, 'test/fixtures/proxy/floodServer.mjs');

/** How long the client does not read, and the size of each flooding message. */
const NOT_READING_MS = 10_000;
const MESSAGE_BYTES = 256 * 1024;
const MiB = 1024 * 1024;
/** The README's bound above the idle proxy: 32 MiB plus twice the longest message in flight. */
const BOUND_ABOVE_IDLE = 32 * MiB + 2 * MESSAGE_BYTES;

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? Number.NaN) * 1024;
}

/**
 * The recording stdio proxy's peak RSS while its client does not read for 10 s and the upstream
 * floods (messages of 256 KiB, without end), beside the documented bound; the baseline is the
 * same proxy's RSS once started, before the flood. Linux only (/proc).
 */
export async function proxyMemoryRow(): Promise<BenchRow> {
  const name = `proxy: peak RSS, client not reading ${NOT_READING_MS / 1000} s, upstream flooding`;
  if (process.platform !== 'linux') return { name, measured: 'skipped (needs /proc)', target: '-', baseline: '-', ok: true };
  const tracesDir = await mkdtemp(join(tmpdir(), 'proxy-memory-bench-'));
  const child = spawn(process.execPath, [CLI, 'proxy', '--traces-dir', tracesDir, '--', process.execPath, FLOOD_SERVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    child.stdout.pause();
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const deadline = Date.now() + 30_000;
    while (!err.includes('flood server: ready')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`proxy did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const idle = rss(child.pid!);
    child.stdin.write(`{"jsonrpc":"2.0","id":1,"method":"flood","params":{"bytes":${1e12},"lineBytes":${MESSAGE_BYTES}}}\n`);
    let peak = idle;
    const end = Date.now() + NOT_READING_MS;
    while (Date.now() < end) {
      peak = Math.max(peak, rss(child.pid!));
      await new Promise((r) => setTimeout(r, 50));
    }
    const mb = (v: number) => `${fmt(v / MiB, 1)} MiB`;
    return {
      name,
      measured: `${mb(peak)} (+${mb(peak - idle)} over idle)`,
      target: `<= idle + ${mb(BOUND_ABOVE_IDLE)} (32 MiB + 2 x ${MESSAGE_BYTES / 1024} KiB message)`,
      baseline: `idle proxy ${mb(idle)}`,
      ok: peak - idle <= BOUND_ABOVE_IDLE,
    };
  } finally {
    child.stdout.destroy();
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    clearTimeout(timer);
    await rm(tracesDir, { recursive: true, force: true });
  }
}
