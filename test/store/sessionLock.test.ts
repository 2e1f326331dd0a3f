import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isInspectorError } from '../../src/core/errors.js';
import { sessionLockPath } from '../../src/store/sessionLock.js';
import { readTrace } from '../../src/store/traceReader.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { ensureBuilt, makeSpan, ROOT, SID, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
const children: ChildProcess[] = [];
beforeAll(() => ensureBuilt(), 120_000);
beforeEach(async () => ({ dir, cleanup } = await tempDir('lock-')));
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await cleanup();
});

/** Every .jsonl.gz of the directory passes `gzip -t`. */
async function allGzipValid(): Promise<void> {
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.jsonl.gz'))) {
    expect(spawnSync('gzip', ['-t', join(dir, name)]).status, name).toBe(0);
  }
}

/** Starts a child holding a writer on SID; resolves with its first line ("ready" or "refused: ..."). */
async function holder(): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'test/fixtures/store/holdWriter.mjs'), dir, SID], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    for await (const line of createInterface({ input: child.stdout! })) return { child, line };
    return { child, line: '' };
  } finally {
    clearTimeout(timer);
  }
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('one writer per session', () => {
  // Before: two writers on one id wrote over each other (658 of 14,926 calls kept; zcat failed).
  it('a second writer in the same process is refused before it opens anything; the first records everything', async () => {
    const a = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'a', engine: 'proxy', flushBytes: 2000 });
    let refusal: unknown;
    try {
      createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'b', engine: 'proxy' });
    } catch (err) {
      refusal = err;
    }
    expect(isInspectorError(refusal, 'CONFLICT')).toBe(true);
    expect((refusal as Error).message).toMatch(new RegExp(`session ${SID} is being recorded by pid ${process.pid}.*use another --session-id`));
    for (let i = 0; i < 300; i++) a.write(makeSpan(i));
    await a.close();
    expect(existsSync(sessionLockPath(dir, SID))).toBe(false);
    const { spans, stats } = await readTrace(dir, SID);
    expect(spans.map((s) => s.attributes['jsonrpc.request.id'])).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(stats.corruptLines).toBe(0);
    await allGzipValid();
    // Once closed, the session can be continued.
    const c = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'c', engine: 'proxy' });
    c.write(makeSpan(300));
    await c.close();
    expect((await readTrace(dir, SID)).spans).toHaveLength(301);
  });

  it('a writer in another live process holds the session; once that process is killed, the session is taken over', async () => {
    const first = await holder();
    expect(first.line).toBe('ready');
    expect(() => createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'b', engine: 'proxy' })).toThrow(new RegExp(`being recorded by pid ${first.child.pid}`));
    const second = await holder();
    expect(second.line).toMatch(/^refused: CONFLICT: .*being recorded by pid/);
    await killed(first.child);
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'after', engine: 'proxy' });
    w.write(makeSpan(1));
    await w.close();
    expect((await readTrace(dir, SID)).spans.map((s) => s.name)).toEqual(['held', 'tools/call read_file']);
    await allGzipValid();
  }, 30_000);

  it('a stale lock (dead pid, our own pid not held here, old garbage) is taken over; fresh garbage is not', async () => {
    const lock = sessionLockPath(dir, SID);
    for (const pid of [deadPid(), process.pid]) {
      await writeFile(lock, JSON.stringify({ pid, started_at: '2026-01-01T00:00:00Z', nonce: 'x' }));
      const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy' });
      expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(process.pid);
      await w.close();
      expect(existsSync(lock)).toBe(false);
    }
    await writeFile(lock, 'not a lock');
    expect(() => createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy' })).toThrow(/being recorded by another process/);
    await utimes(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy' }).close();
    expect(await readdir(dir)).toEqual([`${SID}.meta.json`]);
  });

  it('of several processes taking over one stale lock at once, exactly one records', async () => {
    await writeFile(sessionLockPath(dir, SID), JSON.stringify({ pid: deadPid(), started_at: '2026-01-01T00:00:00Z', nonce: 'x' }));
    const lines = (await Promise.all([holder(), holder(), holder(), holder()])).map((h) => h.line);
    expect(lines.filter((l) => l === 'ready')).toHaveLength(1);
    expect(lines.filter((l) => /^refused: CONFLICT: /.test(l))).toHaveLength(3);
    await Promise.all(children.map(killed));
    expect((await readTrace(dir, SID)).spans).toHaveLength(1);
    await allGzipValid();
  }, 30_000);

  it('a session that records nothing leaves no trace file, only its meta', async () => {
    await createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy' }).close();
    expect(await readdir(dir)).toEqual([`${SID}.meta.json`]);
    expect(await readTrace(dir, SID)).toEqual({ spans: [], stats: { spans: 0, corruptLines: 0, truncated: false } });
  });
});
