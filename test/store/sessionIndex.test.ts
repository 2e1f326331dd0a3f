import { spawnSync } from 'node:child_process';
import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionMeta } from '../../src/core/session.js';
import { writeMetaFile } from '../../src/store/metaFile.js';
import { metaFilePath, traceFilePath } from '../../src/store/paths.js';
import { createSessionIndex } from '../../src/store/sessionIndex.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { makeSpan, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('index-')));
afterEach(() => cleanup());

/** A pid that surely belongs to no process: one that just exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

const meta = (id: string, started: string, extra: Partial<SessionMeta> = {}): SessionMeta => ({
  id,
  title: id,
  engine: 'proxy',
  status: 'completed',
  started_at: started,
  span_count: 0,
  error_count: 0,
  ...extra,
});

describe('createSessionIndex', () => {
  it('lists newest first and serves a warm listing from cache until the directory changes', async () => {
    await writeMetaFile(metaFilePath(dir, 'old-session'), meta('old-session', '2026-01-01T00:00:00.000000Z'));
    await writeMetaFile(metaFilePath(dir, 'new-session'), meta('new-session', '2026-01-02T00:00:00.000000Z'));
    await writeMetaFile(metaFilePath(dir, 'mid-session'), meta('mid-session', '2026-01-01T12:00:00.000000Z'));
    await writeFile(`${dir}/unrelated.txt`, 'ignored');
    const index = createSessionIndex(dir);
    expect((await index.list()).map((m) => m.id)).toEqual(['new-session', 'mid-session', 'old-session']);
    await writeMetaFile(metaFilePath(dir, 'mid-session'), meta('mid-session', '2026-01-03T00:00:00.000000Z', { title: 'changed' }));
    const again = await index.list();
    expect(again[0]).toMatchObject({ id: 'mid-session', title: 'changed' });
    await rm(metaFilePath(dir, 'old-session'));
    expect((await index.list()).map((m) => m.id)).toEqual(['mid-session', 'new-session']);
  });

  it('shows a live writer as running and a finished one as completed', async () => {
    const index = createSessionIndex(dir);
    const w = createTraceWriter({ tracesDir: dir, sessionId: 'live-session', title: 'live', engine: 'workflow' });
    w.write(makeSpan(1));
    await w.flush();
    expect(await index.get('live-session')).toMatchObject({ status: 'running', pid: process.pid, engine: 'workflow' });
    await w.close();
    expect(await index.get('live-session')).toMatchObject({ status: 'completed', span_count: 1 });
    expect((await index.list()).map((m) => m.status)).toEqual(['completed']);
  });

  it('rebuilds a meta whose writer died (abandoned), a missing meta, and a stale one', async () => {
    const dead = deadPid();
    await writeFile(traceFilePath(dir, 'dead-session'), gzipSync([1, 2, 3].map((i) => `${JSON.stringify(makeSpan(i))}\n`).join('')));
    await writeMetaFile(metaFilePath(dir, 'dead-session'), meta('dead-session', '2026-01-01T00:00:00.000000Z', { status: 'running', pid: dead }));
    await writeFile(traceFilePath(dir, 'nometa-session'), gzipSync(`${JSON.stringify(makeSpan(5, { status: { status_code: 'ERROR' } }))}\n`));
    await writeFile(traceFilePath(dir, 'stale-session'), gzipSync(`${JSON.stringify(makeSpan(7))}\n${JSON.stringify(makeSpan(8))}\n`));
    await writeMetaFile(metaFilePath(dir, 'stale-session'), meta('stale-session', '2026-01-01T00:00:00.000000Z', { span_count: 1 }));
    await utimes(metaFilePath(dir, 'stale-session'), new Date(2020, 0, 1), new Date(2020, 0, 1));

    const list = await createSessionIndex(dir).list();
    const byId = Object.fromEntries(list.map((m) => [m.id, m]));
    expect(byId['dead-session']).toMatchObject({ status: 'failed', reason: 'abandoned', span_count: 3 });
    expect(byId['dead-session']!.pid).toBeUndefined();
    expect(byId['nometa-session']).toMatchObject({ status: 'failed', span_count: 1, error_count: 1, title: 'nometa-session' });
    expect(byId['stale-session']).toMatchObject({ status: 'completed', span_count: 2 });
    // written back, so other processes see the repair
    expect(JSON.parse(await readFile(metaFilePath(dir, 'dead-session'), 'utf8'))).toMatchObject({ status: 'failed', reason: 'abandoned' });
  });

  it('ignores invalid metas and reports unknown sessions as undefined', async () => {
    await writeFile(metaFilePath(dir, 'broken-meta'), '{not json');
    const index = createSessionIndex(dir);
    expect(await index.list()).toEqual([]);
    expect(await index.get('unknown-session')).toBeUndefined();
    await expect(index.get('../etc/passwd')).rejects.toThrow(/invalid session id/);
    expect(await createSessionIndex(`${dir}/missing`).list()).toEqual([]);
  });

  it('invalidate forces a re-read', async () => {
    const index = createSessionIndex(dir);
    await writeMetaFile(metaFilePath(dir, 'some-session'), meta('some-session', '2026-01-01T00:00:00.000000Z'));
    expect(await index.list()).toHaveLength(1);
    index.invalidate('some-session');
    index.invalidate();
    expect(await index.list()).toHaveLength(1);
  });
});
