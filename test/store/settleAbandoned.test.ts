import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Span } from '../../src/core/span.js';
import { createRpcRecorder } from '../../src/instrumentation/rpcRecorder.js';
import { InflightFileSchema, type InflightFile } from '../../src/store/inflightSidecar.js';
import { writeMetaFile, readMetaFile } from '../../src/store/metaFile.js';
import { inflightFilePath, metaFilePath } from '../../src/store/paths.js';
import { createSessionIndex } from '../../src/store/sessionIndex.js';
import { settleAbandonedRequests } from '../../src/store/settleAbandoned.js';
import { readTrace } from '../../src/store/traceReader.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { makeSpan, SID, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('settle-')));
afterEach(() => cleanup());

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function abandonedSkeleton(i: number): Span {
  const s = makeSpan(i);
  return { ...s, end_time: s.start_time, status: { status_code: 'ERROR', description: 'abandoned: the recording process died with this request in flight' }, attributes: { ...s.attributes, 'error.type': 'abandoned' } };
}

/** A session as a SIGKILLed writer leaves it: meta running under a dead pid, `n` flushed spans, a sidecar. */
async function deadSession(n: number, owed: Span[], aliveAt = '2026-01-01T12:00:30.000000Z'): Promise<void> {
  const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy' });
  for (let i = 0; i < n; i++) w.write(makeSpan(i));
  await w.close();
  const meta = (await readMetaFile(metaFilePath(dir, SID)))!;
  const { ended_at: _e, duration_ms: _d, ...rest } = meta;
  await writeMetaFile(metaFilePath(dir, SID), { ...rest, status: 'running', span_count: 0, error_count: 0, pid: deadPid() });
  const file: InflightFile = { v: 1, session_id: SID, pid: deadPid(), last_alive_at: aliveAt, spans: owed };
  await writeFile(inflightFilePath(dir, SID), JSON.stringify(file));
}

describe('the open-request sidecar of a live writer', () => {
  it('lists a request open for a flush interval (redacted, ERROR abandoned), drops it when answered, and is removed on close', async () => {
    const writer = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', flushIntervalMs: 40 });
    const recorder = createRpcRecorder({ sink: writer, sessionId: SID, transport: 'stdio' });
    const path = inflightFilePath(dir, SID);
    recorder.received({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'deploy', arguments: { api_key: 'sk-live-123456', target: 'prod' } } });
    await until(() => existsSync(path), 'the sidecar');
    const file = InflightFileSchema.parse(JSON.parse(await readFile(path, 'utf8')));
    expect(file.pid).toBe(process.pid);
    expect(file.spans).toHaveLength(1);
    const span = file.spans[0]!;
    expect(span).toMatchObject({ name: 'tools/call deploy', kind: 'SERVER', status: { status_code: 'ERROR' }, attributes: { 'error.type': 'abandoned', 'jsonrpc.request.id': '7' } });
    expect(span.attributes['mcp.rpc.request_json']).toContain('deploy');
    expect(span.attributes['mcp.rpc.request_json']).not.toContain('sk-live-123456');

    recorder.sent({ jsonrpc: '2.0', id: 7, result: { content: [] } });
    await until(() => !existsSync(path), 'the sidecar to go once the call is answered');

    recorder.received({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'hang', arguments: {} } });
    await until(() => existsSync(path), 'the sidecar again');
    recorder.close();
    await writer.close();
    expect(existsSync(path)).toBe(false);
    const { spans } = await readTrace(dir, SID);
    // The normal close ended the open request itself (connection_closed), never as abandoned.
    expect(spans.map((s) => [s.attributes['jsonrpc.request.id'], s.attributes['error.type'] ?? 'ok'])).toEqual([['7', 'ok'], ['8', 'connection_closed']]);
  });

  it('is never written for requests answered within the interval', async () => {
    const writer = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', flushIntervalMs: 200 });
    const recorder = createRpcRecorder({ sink: writer, sessionId: SID, transport: 'stdio' });
    for (let i = 0; i < 50; i++) {
      recorder.received({ jsonrpc: '2.0', id: i, method: 'ping' });
      await new Promise((r) => setTimeout(r, 2));
      recorder.sent({ jsonrpc: '2.0', id: i, result: {} });
      expect(existsSync(inflightFilePath(dir, SID))).toBe(false);
    }
    recorder.close();
    await writer.close();
    expect((await readTrace(dir, SID)).spans).toHaveLength(50);
  });
});

describe('settleAbandonedRequests', () => {
  it('appends the owed spans once, ended at the last known alive time, when several settle at once', async () => {
    await deadSession(5, [abandonedSkeleton(100), abandonedSkeleton(101)]);
    const results = await Promise.all([0, 1, 2, 3].map(() => settleAbandonedRequests(dir, SID)));
    expect(results.map((r) => r.spans).sort()).toEqual([0, 0, 0, 2]);
    const { spans, stats } = await readTrace(dir, SID);
    expect(stats.truncated).toBe(false);
    expect(spans).toHaveLength(7);
    const owed = spans.slice(5);
    expect(owed.map((s) => s.span_id)).toEqual([abandonedSkeleton(100).span_id, abandonedSkeleton(101).span_id]);
    // The trace file was written after last_alive_at: its mtime is the better time of death.
    for (const s of owed) expect(s.end_time > '2026-01-01T12:00:30.000000Z').toBe(true);
    expect(existsSync(inflightFilePath(dir, SID))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('inflight'))).toEqual([]);
    expect((await settleAbandonedRequests(dir, SID)).spans).toBe(0);
  });

  it('skips spans the writer appended after its last sidecar write (same span id)', async () => {
    await deadSession(3, [abandonedSkeleton(1), abandonedSkeleton(50)]);
    expect(await settleAbandonedRequests(dir, SID)).toEqual({ spans: 1, errors: 1 });
    const { spans } = await readTrace(dir, SID);
    expect(spans.map((s) => s.span_id)).toEqual([0, 1, 2, 50].map((i) => makeSpan(i).span_id));
  });

  it('takes over a claim left by a settler that died, and drops a garbled sidecar with a report', async () => {
    await deadSession(1, [abandonedSkeleton(9)]);
    const claim = `${inflightFilePath(dir, SID)}.${deadPid()}-abcd.claim`;
    await writeFile(claim, await readFile(inflightFilePath(dir, SID)));
    await writeFile(inflightFilePath(dir, SID), '{"v":1,"spans":[{"trace');
    const errors: unknown[] = [];
    expect(await settleAbandonedRequests(dir, SID, (e) => errors.push(e))).toEqual({ spans: 1, errors: 1 });
    expect(errors).toHaveLength(1);
    expect(readdirSync(dir).filter((n) => n.includes('inflight'))).toEqual([]);
    expect((await readTrace(dir, SID)).spans.map((s) => s.span_id)).toEqual([makeSpan(0).span_id, makeSpan(9).span_id]);
  });

  it('leaves a live writer alone', async () => {
    await deadSession(1, [abandonedSkeleton(9)]);
    const meta = (await readMetaFile(metaFilePath(dir, SID)))!;
    await writeMetaFile(metaFilePath(dir, SID), { ...meta, pid: process.pid });
    expect(await settleAbandonedRequests(dir, SID)).toEqual({ spans: 0, errors: 0 });
    expect(existsSync(inflightFilePath(dir, SID))).toBe(true);
  });

  it('runs before the session index counts a dead session, and before a writer continues it', async () => {
    await deadSession(4, [abandonedSkeleton(40)]);
    const meta = await createSessionIndex(dir).get(SID);
    expect(meta).toMatchObject({ status: 'failed', reason: 'abandoned', span_count: 5, error_count: 1 });

    await deadSession(0, [abandonedSkeleton(41)]);
    const before = (await readTrace(dir, SID)).spans.length;
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'again', engine: 'proxy' });
    w.write(makeSpan(42));
    await w.close();
    const { spans } = await readTrace(dir, SID);
    expect(spans.slice(before).map((s) => s.span_id)).toEqual([makeSpan(41).span_id, makeSpan(42).span_id]);
  });
});
