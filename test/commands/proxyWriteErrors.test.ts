import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, RAW_SERVER, ROOT, exitOf, tempDir } from '../e2e/proxyHelpers.js';

// A recording proxy whose trace file cannot grow: the failing run printed one identical line per
// batch (487 ENOSPC lines in 4 s). A full disk cannot be made on demand here, so the kernel
// refuses the writes another way: RLIMIT_FSIZE (ulimit -f, SIGXFSZ ignored) makes every append
// past 4 KiB fail with EFBIG, a real OS error on the same path as ENOSPC (each batch fails, is
// rolled back and reported), while the small meta file still fits.
describe('proxy recording to a file that cannot grow', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('forwards every call and says the write error once, then a count, not once per batch', async () => {
    const CALLS = 120;
    const child = spawn('sh', ['-c', 'trap "" XFSZ; ulimit -f 8; exec "$0" "$@"', process.execPath, CLI, 'proxy', '--traces-dir', dir.path, '--session-id', 'full-disk-0001', '--', process.execPath, RAW_SERVER], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let out = '';
    const waiters = new Set<() => void>();
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      for (const w of [...waiters]) w();
    });
    const answered = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (out.split('\n').filter(Boolean).length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${n} answers not seen in 10 s; stderr: ${stderr.slice(-500)}`));
        }, 10_000);
        waiters.add(check);
        check();
      });
    // Incompressible 16 KiB arguments: each batch is far over the 4 KiB the file may hold. One
    // call at a time, so batches are many and small, as under steady traffic.
    for (let i = 1; i <= CALLS; i++) {
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'store', arguments: { blob: randomBytes(12 * 1024).toString('base64') } } })}\n`);
      await answered(i);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 120)); // let the 100 ms flush timer fire: more batches
    }
    child.stdin.end();
    expect(await exitOf(child, 15_000)).toBe(0);
    const answers = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: number; result?: unknown });
    expect(answers.map((a) => a.id)).toEqual(Array.from({ length: CALLS }, (_, i) => i + 1));
    const errorLines = stderr.split('\n').filter((l) => /EFBIG|file too large/i.test(l));
    expect(errorLines[0]).toMatch(/^mcpscope proxy: trace: EFBIG: file too large, write$/);
    expect(errorLines).toHaveLength(2);
    const count = /^mcpscope proxy: trace: EFBIG: file too large, write \(repeated (\d+) times? in the last \d+ s\)$/.exec(errorLines[1]!);
    expect(count, errorLines[1]).not.toBeNull();
    expect(Number(count![1])).toBeGreaterThanOrEqual(10);
  }, 60_000);
});
