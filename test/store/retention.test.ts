import { readdir, utimes, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInspectorError } from '../../src/core/errors.js';
import { applyRetention } from '../../src/store/retention.js';
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

  it('is off with 0 days, uses `now`, and validates days', async () => {
    await session('old-session-2');
    expect(await applyRetention(dir, { days: 0, now: Date.now() + 1e12 })).toEqual({ deleted: [] });
    expect((await applyRetention(dir, { now: Date.now() + 8 * 86_400_000 })).deleted).toEqual(['old-session-2']);
    await expect(applyRetention(dir, { days: -1 })).rejects.toSatisfy((e) => isInspectorError(e, 'INVALID_ARGUMENT'));
    expect(await applyRetention(`${dir}/missing`)).toEqual({ deleted: [] });
  });
});
