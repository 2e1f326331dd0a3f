import { execFileSync, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkMember } from '../../src/store/gzipMember.js';
import { createMemberCompressor } from '../../src/store/memberCompressor.js';
import { ensureBuilt, ROOT, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('compressor-')));
afterEach(() => cleanup());

describe('createMemberCompressor', () => {
  it('makes one complete gzip member per call, in order, reusing one handle', async () => {
    const c = createMemberCompressor(1);
    const inputs = Array.from({ length: 40 }, (_, i) => Buffer.from(`line ${i} ${'é'.repeat(i * 500)}\n`));
    const members = await Promise.all(inputs.map((b) => c.compress(b)));
    await c.close();
    await c.close();
    members.forEach((m, i) => {
      const check = checkMember(m, 0);
      expect(check.ok && check.length === m.length && check.data.equals(inputs[i]!)).toBe(true);
    });
    const file = join(dir, 'all.gz');
    await writeFile(file, Buffer.concat(members));
    expect(execFileSync('zcat', [file]).equals(Buffer.concat(inputs))).toBe(true);
    expect(gunzipSync(Buffer.concat(members)).equals(Buffer.concat(inputs))).toBe(true);
  });

  it('handles empty and large batches', async () => {
    const c = createMemberCompressor(6);
    const big = Buffer.alloc(3 * 1024 * 1024, 'abcdefgh');
    expect(gunzipSync(await c.compress(Buffer.alloc(0))).length).toBe(0);
    expect(gunzipSync(await c.compress(big)).equals(big)).toBe(true);
    await c.close();
  });

  it('never lets a batch wait on a busy worker past maxPendingMs: the caller compresses it, in order', async () => {
    const patient = createMemberCompressor(9, 2, { maxPendingMs: 1e9, maxPendingBatches: 1e9 });
    const hurried = createMemberCompressor(1, 2, { maxPendingMs: 20, maxPendingBatches: 2 });
    // Warm the shared worker, then give it seconds of work.
    await patient.compress(Buffer.from('warm-up'));
    const text = Buffer.from(Array.from({ length: 400_000 }, (_, i) => `line ${i * 7919 % 100_003} of a long trace\n`).join(''));
    const bigStarted = performance.now();
    let bigDone = 0;
    const big = patient.compress(text).then((m) => ((bigDone = performance.now()), m));
    const inputs = Array.from({ length: 5 }, (_, i) => Buffer.from(`{"span":${i}}\n`.repeat(100)));
    const started = performance.now();
    const members = await Promise.all(inputs.map((b) => hurried.compress(b)));
    const waited = performance.now() - started;
    members.forEach((m, i) => expect(gunzipSync(m).equals(inputs[i]!)).toBe(true));
    expect(gunzipSync(await big).equals(text)).toBe(true);
    // The worker was busy with the big batch all along: the small ones did not wait for it.
    expect(bigDone - bigStarted).toBeGreaterThan(waited);
    expect(waited).toBeLessThan(500);
    await hurried.close();
    await patient.close();
  });

  it('past the pending count in a burst, every member is still whole, its own, and concatenates in order', async () => {
    const c = createMemberCompressor(1, 2, { maxPendingMs: 1e9, maxPendingBatches: 2 });
    await c.compress(Buffer.from('warm-up'));
    // One synchronous burst: the worker cannot answer before it ends, so all but two are done here.
    const inputs = Array.from({ length: 30 }, (_, i) => Buffer.from(`{"span":${i},"pad":"${'y'.repeat(i * 300)}"}\n`.repeat(50)));
    const members = await Promise.all(inputs.map((b) => c.compress(b)));
    members.forEach((m, i) => expect(gunzipSync(m).equals(inputs[i]!)).toBe(true));
    expect(gunzipSync(Buffer.concat(members)).equals(Buffer.concat(inputs))).toBe(true);
    await c.close();
  });

  it('never keeps a process alive: one that compressed while the worker was starting exits after close', () => {
    ensureBuilt();
    const script = `
      const { createMemberCompressor } = await import(${JSON.stringify(join(ROOT, 'dist/src/store/memberCompressor.js'))});
      const c = createMemberCompressor(1);
      const m = await c.compress(Buffer.from('hello'));
      await c.close();
      console.log('member', m.length);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(run.stdout).toMatch(/member \d+/);
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
  }, 60_000);
});
