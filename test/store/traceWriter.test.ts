import { execFileSync } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionMetaSchema } from '../../src/core/session.js';
import { SpanSchema } from '../../src/core/span.js';
import { readMemberIndex } from '../../src/store/memberIndex.js';
import { memberIndexPath, metaFilePath, traceFilePath } from '../../src/store/paths.js';
import { readTrace } from '../../src/store/traceReader.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { makeSpan, SID, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

describe('createTraceWriter', () => {
  it('writes gzip members that zcat reads, each line a valid span, and a final meta', async () => {
    const flushes: number[] = [];
    const w = createTraceWriter({ tracesDir: join(dir, 'nested', 'traces'), sessionId: SID, title: 'demo', engine: 'proxy', flushBytes: 4096, onFlush: (i) => flushes.push(i.spanCount) });
    for (let i = 0; i < 50; i++) w.write(makeSpan(i, i === 7 ? { status: { status_code: 'ERROR', description: 'boom' } } : {}));
    expect(w.meta()).toMatchObject({ status: 'running', span_count: 50, error_count: 1, pid: process.pid });
    await w.close();
    expect(flushes.length).toBeGreaterThan(1);
    expect(flushes.at(-1)).toBe(50);
    const tracesDir = join(dir, 'nested', 'traces');
    expect((await stat(tracesDir)).mode & 0o777).toBe(0o700);
    const text = execFileSync('zcat', [traceFilePath(tracesDir, SID)], { encoding: 'utf8' });
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    for (const line of lines) SpanSchema.parse(JSON.parse(line));
    const meta = SessionMetaSchema.parse(JSON.parse(await readFile(metaFilePath(tracesDir, SID), 'utf8')));
    // A real error makes the session failed, with a short reason naming it.
    expect(meta).toMatchObject({ id: SID, title: 'demo', status: 'failed', span_count: 50, error_count: 1 });
    expect(meta.reason).toMatch(/^1 JSON-RPC error: .*boom$/);
    expect(meta.pid).toBeUndefined();
    expect(meta.ended_at).toMatch(/\.\d{6}Z$/);
    expect(meta.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('caps *_json attributes at 30 KB and keeps unicode intact', async () => {
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'ünïcødé 🚀', engine: 'inbound' });
    const big = '€'.repeat(20_000); // 60,000 UTF-8 bytes
    w.write(makeSpan(1, { name: 'tools/call 日本語', attributes: { 'mcp.tool.output_json': big, 'plain.attr': big } }));
    await w.close();
    const { spans } = await readTrace(dir, SID);
    expect(spans[0]!.name).toBe('tools/call 日本語');
    const out = spans[0]!.attributes['mcp.tool.output_json'] as string;
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(30 * 1024);
    expect(out).toBe('€'.repeat(out.length));
    expect(spans[0]!.attributes['mcp.tool.output_json_truncated']).toBe(true);
    expect(spans[0]!.attributes['plain.attr']).toBe(big);
    expect(JSON.parse(await readFile(metaFilePath(dir, SID), 'utf8')).title).toBe('ünïcødé 🚀');
  });

  it('two writers on different sessions at once keep their spans apart', async () => {
    const a = createTraceWriter({ tracesDir: dir, sessionId: 'session-a-000001', title: 'a', engine: 'proxy', flushBytes: 2000 });
    const b = createTraceWriter({ tracesDir: dir, sessionId: 'session-b-000002', title: 'b', engine: 'client', flushBytes: 3000 });
    for (let i = 0; i < 100; i++) {
      a.write(makeSpan(i, { name: `a ${i}` }));
      b.write(makeSpan(i, { name: `b ${i}` }));
    }
    await Promise.all([a.close(), b.close()]);
    const ra = await readTrace(dir, 'session-a-000001');
    const rb = await readTrace(dir, 'session-b-000002');
    expect(ra.spans.map((s) => s.name)).toEqual(Array.from({ length: 100 }, (_, i) => `a ${i}`));
    expect(rb.spans.map((s) => s.name)).toEqual(Array.from({ length: 100 }, (_, i) => `b ${i}`));
  });

  it('rotates by size and reads one session across its parts in order', async () => {
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'r', engine: 'proxy', flushBytes: 1, rotateBytes: 4096 });
    for (let i = 0; i < 60; i++) w.write(makeSpan(i));
    await w.close();
    const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl.gz')).sort();
    expect(names.length).toBeGreaterThan(2);
    expect(names).toContain(`${SID}.1.jsonl.gz`);
    const { spans, stats } = await readTrace(dir, SID);
    expect(spans.map((s) => s.attributes['jsonrpc.request.id'])).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(stats).toEqual({ spans: 60, corruptLines: 0, truncated: false });
  });

  it('a synchronous burst is appended in order across rotations, every member indexed', async () => {
    const flushes: number[] = [];
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'b', engine: 'proxy', flushBytes: 3000, rotateBytes: 16 * 1024, onFlush: (i) => flushes.push(i.spanCount) });
    for (let i = 0; i < 1500; i++) w.write(makeSpan(i));
    await w.close();
    const { spans, stats } = await readTrace(dir, SID);
    expect(stats).toEqual({ spans: 1500, corruptLines: 0, truncated: false });
    expect(spans.map((s) => s.attributes['jsonrpc.request.id'])).toEqual(Array.from({ length: 1500 }, (_, i) => i));
    expect(flushes.length).toBeGreaterThan(100); // one report per member, counts rising to the total
    expect(flushes.every((n, i) => i === 0 || n > flushes[i - 1]!)).toBe(true);
    expect(flushes.at(-1)).toBe(1500);
    const parts = (await readdir(dir)).filter((n) => n.endsWith('.jsonl.gz'));
    expect(parts.length).toBeGreaterThan(3);
    let indexed = 0;
    for (const name of parts) {
      const size = (await stat(join(dir, name))).size;
      expect(size).toBeLessThanOrEqual(16 * 1024 + 4096); // one member may start a part past the limit only when alone
      const records = await readMemberIndex(memberIndexPath(join(dir, name)), size);
      expect(records.reduce((a, r) => a + r.length, 0)).toBe(size); // contiguous records cover the whole part
      indexed += records.reduce((a, r) => a + r.spans, 0);
    }
    expect(indexed).toBe(1500);
  });

  it('keeps spans larger than a batch, multi-byte text and tiny flush sizes intact', async () => {
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', flushBytes: 1000 });
    const huge = 'ж'.repeat(150_000); // 300,000 UTF-8 bytes in a plain attribute (not capped)
    for (let i = 0; i < 40; i++) w.write(makeSpan(i, i % 7 === 3 ? { name: `big ${i}`, attributes: { 'plain.text': huge } } : { name: `n ${'€'.repeat(i * 50)}` }));
    await w.close();
    const { spans, stats } = await readTrace(dir, SID);
    expect(stats.spans).toBe(40);
    spans.forEach((sp, i) => {
      if (i % 7 === 3) expect(sp.attributes['plain.text']).toBe(huge);
      else expect(sp.name).toBe(`n ${'€'.repeat(i * 50)}`);
    });
  });

  it('a span written after a size flush still goes out on the interval', async () => {
    const flushes: number[] = [];
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', flushBytes: 1500, flushIntervalMs: 20, onFlush: (i) => flushes.push(i.spanCount) });
    w.write(makeSpan(0));
    w.write(makeSpan(1)); // fills a batch: flushed by size
    w.write(makeSpan(2)); // waits for the interval
    await expect.poll(() => flushes.at(-1), { timeout: 5000 }).toBe(3);
    expect((await readTrace(dir, SID)).spans).toHaveLength(3);
    await w.close();
  });

  it('with default options, a lone span reaches the file within the default interval, unasked', async () => {
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy' });
    const written = Date.now();
    w.write(makeSpan(1));
    await expect.poll(async () => (await readTrace(dir, SID)).spans.length, { timeout: 3000, interval: 20 }).toBe(1);
    // Default flushIntervalMs is 50 ms; allow for a loaded machine, not for minutes.
    expect(Date.now() - written).toBeLessThan(2000);
    await w.close();
  });

  it('flushes on the interval without close, and flush() makes spans readable', async () => {
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', flushIntervalMs: 10 });
    w.write(makeSpan(1));
    await w.flush();
    expect((await readTrace(dir, SID)).spans).toHaveLength(1);
    w.setStatus('paused', { waiting_on: 'approve' });
    await w.flush();
    await expect.poll(async () => JSON.parse(await readFile(metaFilePath(dir, SID), 'utf8')).waiting_on, { timeout: 5000 }).toBe('approve');
    await w.close({ status: 'cancelled', reason: 'user' });
    await w.close(); // idempotent
    w.write(makeSpan(2)); // after close: dropped, no throw
    const meta = JSON.parse(await readFile(metaFilePath(dir, SID), 'utf8'));
    expect(meta).toMatchObject({ status: 'cancelled', reason: 'user', span_count: 1 });
    expect(meta.waiting_on).toBeUndefined();
  });

  it('reopening after a torn tail cuts it off and appends after the good members', async () => {
    const w1 = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', flushBytes: 1 });
    for (let i = 0; i < 5; i++) w1.write(makeSpan(i));
    await w1.close();
    const path = traceFilePath(dir, SID);
    const torn = gzipSync(Buffer.from(`${JSON.stringify(makeSpan(99))}\n`)).subarray(0, 30);
    await writeFile(path, torn, { flag: 'a' });
    expect((await readTrace(dir, SID)).stats.truncated).toBe(true);
    const w2 = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy' });
    for (let i = 5; i < 8; i++) w2.write(makeSpan(i));
    await w2.close();
    const { spans, stats } = await readTrace(dir, SID);
    expect(stats.truncated).toBe(false);
    expect(spans.map((s) => s.attributes['jsonrpc.request.id'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(JSON.parse(await readFile(metaFilePath(dir, SID), 'utf8')).span_count).toBe(8);
    expect(execFileSync('zcat', [path], { encoding: 'utf8' }).trimEnd().split('\n')).toHaveLength(8);
  });

  it('rejects bad session ids and creates nothing outside the directory', async () => {
    const traces = join(dir, 'traces');
    for (const bad of ['../escape1', 'a/b/cdef', '..%2Fetc%2Fpasswd', 'abc\0defgh', 'x'.repeat(200), '..', '', 'short']) {
      expect(() => createTraceWriter({ tracesDir: traces, sessionId: bad, title: 't', engine: 'proxy' })).toThrow(/invalid session id/);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports disk errors to onError and keeps running', async () => {
    await writeFile(join(dir, 'file'), 'not a directory');
    const errors: Error[] = [];
    const w = createTraceWriter({ tracesDir: join(dir, 'file', 'traces'), sessionId: SID, title: 't', engine: 'proxy', onError: (e) => errors.push(e) });
    w.write(makeSpan(1));
    await w.flush();
    await w.close();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.message).toMatch(/traces directory/);
  });

  it('rejects bad options with INVALID_ARGUMENT', () => {
    expect(() => createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'nope' as 'proxy' })).toThrow(/engine/);
    expect(() => createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', flushBytes: -1 })).toThrow(/flushBytes/);
  });
});
