import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LiveTail } from '../../ui/src/trace/liveTail.js';
import type { SpanRow } from '../../ui/src/trace/spanRow.js';
import { fetchLine, TraceLoader } from '../../ui/src/trace/traceLoader.js';
import { appendMember, spanLine, startFixture, writeTrace, type GatewayFixture } from '../http/gatewayFixture.js';

let fx: GatewayFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.close();
});

/** A loader over the real gateway that records every response status it got. */
function loaderFor(id: string, options: { firstChunk?: number; maxChunk?: number; hint?: number } = {}) {
  const rows: SpanRow[] = [];
  const statuses: number[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    statuses.push(res.status);
    return res;
  };
  const loader = new TraceLoader({
    url: `${fx.gateway.url}/_inspector/trace/${id}`,
    onRows: (batch) => rows.push(...batch),
    fetch: recordingFetch,
    ...(options.firstChunk ? { firstChunk: options.firstChunk } : {}),
    ...(options.maxChunk ? { maxChunk: options.maxChunk } : {}),
    ...(options.hint !== undefined ? { spanCountHint: async () => options.hint } : {}),
  });
  return { loader, rows, statuses };
}

describe('TraceLoader against the real gateway', () => {
  it('reads a multi-member, two-part trace in small ranges, and every row refetches its own line', async () => {
    const member = (from: number) => Array.from({ length: 20 }, (_, k) => spanLine(from + k, 150)).join('');
    const ndjson = await writeTrace(fx.dir, 'loader-parts-1', [[member(0), member(20)], [member(40)]]);
    const { loader, rows, statuses } = loaderFor('loader-parts-1', { firstChunk: 700, maxChunk: 2000 });
    expect(await loader.readNew()).toBe(true);
    expect(rows.map((r) => r.spanId)).toEqual(Array.from({ length: 60 }, (_, i) => (i + 1).toString(16).padStart(16, '0')));
    expect(loader.loaded).toBe(ndjson.length);
    expect(statuses.every((s) => s === 206)).toBe(true);
    expect(statuses.length).toBeGreaterThan(5);
    for (const row of [rows[0]!, rows[33]!, rows[59]!]) {
      expect(ndjson.subarray(row.offset, row.offset + row.length + 1).toString('utf8')).toMatch(/^\{.*\}\n$/);
      expect(await fetchLine(`${fx.gateway.url}/_inspector/trace/loader-parts-1`, row.offset, row.length)).toMatchObject({ span_id: row.spanId });
    }
  });

  it('tails a growing trace without a 416: an unchanged trace answers with the byte already read', async () => {
    await writeTrace(fx.dir, 'loader-tail-1', [[spanLine(0) + spanLine(1)]]);
    const { loader, rows, statuses } = loaderFor('loader-tail-1');
    expect(await loader.readNew()).toBe(true);
    expect(await loader.readNew()).toBe(false);
    expect(rows).toHaveLength(2);
    await appendMember(fx.dir, 'loader-tail-1', spanLine(2) + spanLine(3));
    expect(await loader.readNew()).toBe(true);
    expect(rows.map((r) => r.idx)).toEqual([0, 1, 2, 3]);
    expect(await loader.readNew()).toBe(false);
    expect(statuses).not.toContain(416);
  });

  it('skips lines that are not spans, keeps byte offsets right around multi-byte text', async () => {
    const weird = `${spanLine(0)}not json\n{"span_id":"zz"}\n${JSON.stringify({ ...JSON.parse(spanLine(1)), name: 'tools/call 漢字 😀' })}\n${spanLine(2)}`;
    const ndjson = await writeTrace(fx.dir, 'loader-weird-1', [[weird]]);
    const { loader, rows } = loaderFor('loader-weird-1', { firstChunk: 100 });
    await loader.readNew();
    expect(rows.map((r) => r.name)).toEqual(['tools/call t0', 'tools/call 漢字 😀', 'tools/call t2']);
    expect(loader.skipped).toBe(2);
    const r = rows[2]!;
    expect(JSON.parse(ndjson.subarray(r.offset, r.offset + r.length).toString('utf8')).span_id).toBe(r.spanId);
  });

  it('does not ask the trace while the session record says it has no spans (no 404, no 416), then reads its first spans', async () => {
    let hint = 0;
    const rows: SpanRow[] = [];
    const statuses: number[] = [];
    const loader = new TraceLoader({
      url: `${fx.gateway.url}/_inspector/trace/loader-empty-1`,
      onRows: (batch) => rows.push(...batch),
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        statuses.push(res.status);
        return res;
      },
      spanCountHint: async () => hint,
    });
    expect(await loader.readNew()).toBe(false);
    expect(await loader.readNew()).toBe(false);
    expect(statuses).toEqual([]);
    await appendMember(fx.dir, 'loader-empty-1', spanLine(7));
    hint = 1;
    expect(await loader.readNew()).toBe(true);
    expect(rows.map((r) => r.name)).toEqual(['tools/call t7']);
    expect(statuses).toEqual([206]);
  });

  it('says why when the gateway refuses', async () => {
    const { loader } = loaderFor('bad..id');
    await expect(loader.readNew()).rejects.toThrow(/session id|invalid/i);
  });
});

describe('LiveTail', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('polls soon after data, backs off to the idle interval while nothing comes, and stops', async () => {
    vi.useFakeTimers();
    const answers = [false, false, false, false, true, false];
    let reads = 0;
    const errors: unknown[] = [];
    const tail = new LiveTail(
      async () => {
        const a = answers[reads++];
        if (a === undefined) throw new Error('gateway down');
        return a;
      },
      (err) => errors.push(err),
      { active: 250, idle: 1000, factor: 2 },
    );
    tail.start();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      delays.push(tail.nextDelay);
      await vi.advanceTimersByTimeAsync(tail.nextDelay);
    }
    expect(reads).toBe(7);
    // 250 (first), then doubling while empty up to 1000, back to 250 after data; errors back off too.
    expect(delays).toEqual([250, 500, 1000, 1000, 1000, 250, 500]);
    expect(errors).toHaveLength(1);
    tail.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reads).toBe(7);
  });
});
