import { readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInspectorError } from '../../src/core/errors.js';
import { applyRetention } from '../../src/store/retention.js';
import { startRetention } from '../../src/store/retentionSchedule.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { makeSpan, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('retention-')));
afterEach(() => cleanup());

async function session(id: string, close = true) {
  const w = createTraceWriter({ tracesDir: dir, sessionId: id, title: id, engine: 'proxy', flushBytes: 1, rotateBytes: 1024 });
  for (let i = 0; i < 3; i++) w.write(makeSpan(i));
  await w.flush();
  if (close) await w.close();
  return w;
}

async function age(days: number) {
  const t = new Date(Date.now() - days * 86_400_000);
  for (const name of await readdir(dir)) await utimes(`${dir}/${name}`, t, t);
}

describe('applyRetention', () => {
  it('deletes every file of sessions older than N days, keeps newer and live ones', async () => {
    await session('old-session-1');
    // What a writer killed mid-write leaves: a stale lock and temp files of a part and a lock.
    for (const name of ['old-session-1.lock', 'old-session-1.1.jsonl.gz.123-ab.tmp', 'old-session-1.lock.123-ab.tmp']) await writeFile(`${dir}/${name}`, '{"pid":1}');
    const live = await session('live-session', false);
    await writeFile(`${dir}/notes.txt`, 'not ours');
    await age(10);
    await session('new-session-1');
    const { deleted } = await applyRetention(dir, { days: 7 });
    expect(deleted).toEqual(['old-session-1']);
    const names = await readdir(dir);
    expect(names.filter((n) => n.startsWith('old-session-1'))).toEqual([]);
    expect(names).toContain('notes.txt');
    expect(names.some((n) => n.startsWith('live-session'))).toBe(true);
    expect(names.some((n) => n.startsWith('new-session-1'))).toBe(true);
    await live.close();
  });

  it('is off with 0 days, keeps 30 days by default, uses `now`, and validates its limits', async () => {
    await session('old-session-2');
    expect(await applyRetention(dir, { days: 0, now: Date.now() + 1e12 })).toEqual({ deleted: [], freedBytes: 0 });
    expect((await applyRetention(dir, { now: Date.now() + 31 * 86_400_000 })).deleted).toEqual(['old-session-2']);
    await expect(applyRetention(dir, { days: -1 })).rejects.toSatisfy((e) => isInspectorError(e, 'INVALID_ARGUMENT'));
    expect(await applyRetention(`${dir}/missing`)).toEqual({ deleted: [], freedBytes: 0 });
    await expect(applyRetention(dir, { maxBytes: Number.NaN })).rejects.toSatisfy((e) => isInspectorError(e, 'INVALID_ARGUMENT'));
  });

  it('with a size limit, deletes the least recently written sessions until the rest fit, never a live or locked one', async () => {
    const ids = ['size-old-1', 'size-old-2', 'size-new-3'];
    for (const [i, id] of ids.entries()) {
      await session(id);
      const t = new Date(Date.now() - (10 - i) * 60_000); // size-old-1 least recently written
      for (const name of (await readdir(dir)).filter((n) => n.startsWith(id))) await utimes(`${dir}/${name}`, t, t);
    }
    // A live writer, written longest ago of all: the size pass must pass over it.
    const live = await session('size-live-0', false);
    const t = new Date(Date.now() - 3_600_000);
    for (const name of (await readdir(dir)).filter((n) => n.startsWith('size-live-0'))) await utimes(`${dir}/${name}`, t, t);
    const sizeOf = async (id: string) => {
      let bytes = 0;
      for (const name of (await readdir(dir)).filter((n) => n.startsWith(`${id}.`))) bytes += (await stat(`${dir}/${name}`)).size;
      return bytes;
    };
    const sizes = Object.fromEntries(await Promise.all([...ids, 'size-live-0'].map(async (id) => [id, await sizeOf(id)] as const)));
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    // Room for all but (a little more than) the oldest finished session.
    const result = await applyRetention(dir, { days: 0, maxBytes: total - sizes['size-old-1']! });
    expect(result).toEqual({ deleted: ['size-old-1'], freedBytes: sizes['size-old-1'] });
    const again = await applyRetention(dir, { days: 0, maxBytes: 1 });
    expect(again.deleted).toEqual(['size-new-3', 'size-old-2']);
    expect((await readdir(dir)).filter((n) => n.startsWith('size-live-0')).length).toBeGreaterThan(0);
    await live.close();
  });

  it('runs on a schedule: at once, then per interval, logging what it deleted; close stops it', async () => {
    await session('sched-old-1');
    await age(40);
    const lines: string[] = [];
    const schedule = startRetention({ tracesDir: dir, days: 30, log: (l) => lines.push(l), intervalMs: 3_600_000 });
    await schedule.idle();
    expect(lines).toEqual([expect.stringMatching(/^mcpscope: retention deleted 1 session \(\d+\.\d MiB\)$/)]);
    expect((await readdir(dir)).some((n) => n.startsWith('sched-old-1'))).toBe(false);
    await schedule.close();
    const off = startRetention({ tracesDir: dir, days: 0, maxBytes: 0, log: (l) => lines.push(l) });
    await off.idle();
    await off.close();
    expect(lines).toHaveLength(1);
  });
});
