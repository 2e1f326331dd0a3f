import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, exitOf, tempDir } from './proxyHelpers.js';
import { descendants, pollUntil } from './processTable.js';

const FLOOD = join(ROOT, 'test/fixtures/proxy/floodServer.mjs');
const MiB = 1024 * 1024;
const LINE = 256 * 1024;
/** The README's bound: 32 MiB plus twice the longest message in flight, above the idle proxy. */
const bound = (idle: number) => idle + 32 * MiB + 2 * LINE;

/** Resident memory of `pid` in bytes, from /proc. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Collects a child's stderr; `waitFor` polls it (bounded), sampling the proxy's RSS meanwhile. */
function watch(child: ChildProcess) {
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  let peak = 0;
  return {
    stderr: () => err,
    peak: () => peak,
    async waitFor(pattern: RegExp, what: string, timeoutMs = 60_000): Promise<void> {
      await pollUntil(() => {
        peak = Math.max(peak, rss(child.pid!));
        return pattern.test(err);
      }, `${what}; stderr: ${err.slice(-500)}`, timeoutMs);
    },
    /** A bounded number of further samples, to see the figure hold while nothing moves. */
    async sample(times: number): Promise<void> {
      for (let i = 0; i < times; i++) {
        peak = Math.max(peak, rss(child.pid!));
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

describe('proxy backpressure (built CLI, recording)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  const start = () => {
    const child = spawn(process.execPath, [CLI, 'proxy', '--traces-dir', dir.path, '--', process.execPath, FLOOD], { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT });
    children.push(child);
    return { child, w: watch(child) };
  };

  it('holds a 300 MB flood to a client that does not read under the bound, then delivers every byte', async () => {
    const { child, w } = start();
    child.stdout!.pause();
    await w.waitFor(/flood server: ready/, 'the server');
    const idle = rss(child.pid!);
    child.stdin!.write(`{"jsonrpc":"2.0","id":1,"method":"flood","params":{"bytes":${300_000_000},"lineBytes":${LINE}}}\n`);
    // The flood stalls once the proxy stops reading it; without backpressure it would run to the end.
    await w.waitFor(/flood: (stalled|done)/, 'the flood to stall');
    await w.sample(20);
    expect(w.stderr()).not.toContain('flood: done');
    expect(w.peak()).toBeLessThan(bound(idle));

    const hash = createHash('sha256');
    let partial: Buffer[] = [];
    let bytes = 0;
    const result = await new Promise<{ lines: number; bytes: number; sha256: string }>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        let from = 0;
        for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, from)) {
          partial.push(chunk.subarray(from, nl + 1));
          const line = Buffer.concat(partial);
          partial = [];
          from = nl + 1;
          if (line.subarray(0, 24).toString() === '{"jsonrpc":"2.0","id":1,') resolve(JSON.parse(line.toString()).result);
          else {
            hash.update(line);
            bytes += line.length;
          }
        }
        if (from < chunk.length) partial.push(chunk.subarray(from));
      });
      child.once('exit', () => reject(new Error(`proxy exited: ${w.stderr()}`)));
      child.stdout!.resume();
    });
    expect(bytes).toBe(result.bytes);
    expect(hash.digest('hex')).toBe(result.sha256);
    child.stdin!.end();
    expect(await exitOf(child, 20_000)).toBe(0);
  }, 180_000);

  it('stops reading a client that floods an upstream which does not read, and loses nothing', async () => {
    const { child, w } = start();
    await w.waitFor(/flood server: ready/, 'the server');
    const idle = rss(child.pid!);
    child.stdin!.write('{"jsonrpc":"2.0","id":1,"method":"stopReading"}\n');
    await w.waitFor(/flood server: not reading/, 'the server to stop reading');
    const server = descendants(child.pid!).find((r) => r.args.includes('floodServer.mjs'))!.pid;
    // Write 300 MB as fast as the proxy takes it; it stops taking it while the upstream does not read.
    const hash = createHash('sha256');
    const fill = 'z'.repeat(LINE - 80);
    let written = 0;
    let lines = 0;
    let stalled = false;
    while (written < 300_000_000) {
      const line = Buffer.from(`{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"${String(lines).padStart(10, '0')}${fill}"}}\n`);
      hash.update(line);
      written += line.length;
      lines++;
      if (!child.stdin!.write(line)) {
        const drained = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 1000);
          child.stdin!.once('drain', () => {
            clearTimeout(timer);
            resolve(true);
          });
        });
        if (!drained) {
          stalled = true;
          break;
        }
      }
    }
    expect(stalled).toBe(true);
    await w.sample(20);
    expect(w.peak()).toBeLessThan(bound(idle));
    // Let the upstream read again; the client writes the rest, then asks what arrived.
    process.kill(server, 'SIGUSR1');
    while (written < 300_000_000) {
      const line = Buffer.from(`{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"${String(lines).padStart(10, '0')}${fill}"}}\n`);
      hash.update(line);
      written += line.length;
      lines++;
      if (!child.stdin!.write(line)) await new Promise((r) => child.stdin!.once('drain', r));
    }
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin!.write('{"jsonrpc":"2.0","id":2,"method":"total"}\n');
    await pollUntil(() => out.includes('"id":2'), `the total; stderr ${w.stderr().slice(-300)}`, 120_000);
    const total = JSON.parse(out.split('\n').find((l) => l.includes('"id":2'))!).result;
    expect(total).toEqual({ lines, bytes: written, sha256: hash.digest('hex') });
    child.stdin!.end();
    expect(await exitOf(child, 20_000)).toBe(0);
  }, 180_000);
});
