import { mkdir, mkdtemp, rm, writeFile, appendFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { classifyTraceFile, createTracesDirWatcher, type TracesDirChange, type TracesDirWatcher } from '../../src/store/tracesDirWatcher.js';

/** Resolves when `predicate` holds over the collected changes; bounded in time. */
async function waitFor(changes: TracesDirChange[], predicate: (c: TracesDirChange[]) => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(changes)) {
    if (Date.now() > deadline) throw new Error(`timed out; saw ${JSON.stringify(changes)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits (bounded in real time) for `predicate` by yielding to the event loop, for tests whose
 * timers are faked: the watcher's file I/O still completes for real.
 */
async function settle(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const has = (sessionId: string, kind: TracesDirChange['kind']) => (c: TracesDirChange[]) => c.some((x) => x.sessionId === sessionId && x.kind === kind);

describe('tracesDirWatcher', () => {
  let root: string;
  let watcher: TracesDirWatcher | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'watcher-'));
  });
  afterEach(async () => {
    vi.useRealTimers();
    await watcher?.close();
    watcher = undefined;
    await rm(root, { recursive: true, force: true });
  });

  it('classifies trace and meta files and ignores everything else', () => {
    expect(classifyTraceFile('sess-000001.jsonl.gz')).toEqual({ sessionId: 'sess-000001', kind: 'trace' });
    expect(classifyTraceFile('sess-000001.meta.json')).toEqual({ sessionId: 'sess-000001', kind: 'meta' });
    expect(classifyTraceFile('sess-000001.3.jsonl.gz')).toEqual({ sessionId: 'sess-000001', kind: 'trace' });
    expect(classifyTraceFile('sess-000001.jsonl')).toEqual({ sessionId: 'sess-000001', kind: 'trace' });
    expect(classifyTraceFile('sess-000001.jsonl.gz.idx')).toBeUndefined();
    expect(classifyTraceFile('sess-000001.0.jsonl.gz')).toBeUndefined();
    expect(classifyTraceFile('sess-000001.meta.json.tmp-12')).toBeUndefined();
    expect(classifyTraceFile('../etc.jsonl.gz')).toBeUndefined();
    expect(classifyTraceFile('x.jsonl.gz')).toBeUndefined(); // id too short
    expect(classifyTraceFile('control.sock')).toBeUndefined();
  });

  for (const forcePolling of [false, true]) {
    it(`reports trace, meta and removal changes (${forcePolling ? 'polling' : 'fs.watch'})`, async () => {
      const dir = join(root, 'traces');
      await mkdir(dir);
      await writeFile(join(dir, 'old-session.jsonl.gz'), 'x');
      const changes: TracesDirChange[] = [];
      watcher = createTracesDirWatcher({ dir, debounceMs: 20, pollIntervalMs: 50, forcePolling });
      watcher.subscribe((c) => changes.push(c));
      await waitFor(changes, () => watcher!.mode === (forcePolling ? 'poll' : 'watch'));
      await writeFile(join(dir, 'sess-aaaaaa.jsonl.gz'), 'a');
      await waitFor(changes, has('sess-aaaaaa', 'trace'));
      await writeFile(join(dir, 'sess-aaaaaa.meta.json'), '{}');
      await waitFor(changes, has('sess-aaaaaa', 'meta'));
      await appendFile(join(dir, 'sess-aaaaaa.jsonl.gz'), 'more');
      await writeFile(join(dir, 'notes.txt'), 'ignored');
      await unlink(join(dir, 'sess-aaaaaa.jsonl.gz'));
      await unlink(join(dir, 'sess-aaaaaa.meta.json'));
      await waitFor(changes, has('sess-aaaaaa', 'removed'));
      // Files present at start are not reported as changes; unrelated files never are.
      expect(changes.some((c) => c.sessionId === 'old-session')).toBe(false);
      expect(changes.every((c) => c.sessionId === 'sess-aaaaaa')).toBe(true);
    });
  }

  it('gathers the changes of one debounce window and delivers each session and kind once, at its end', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const dir = join(root, 'traces');
    await mkdir(dir);
    const changes: TracesDirChange[] = [];
    watcher = createTracesDirWatcher({ dir, debounceMs: 1000, pollIntervalMs: 100, forcePolling: true });
    watcher.subscribe((c) => changes.push(c));
    await settle(() => watcher!.mode === 'poll', 'polling to start');
    await writeFile(join(dir, 'sess-aaaaaa.jsonl.gz'), 'a');
    await writeFile(join(dir, 'sess-aaaaaa.meta.json'), '{}');
    await writeFile(join(dir, 'sess-bbbbbb.jsonl.gz'), 'b');
    // The next scan notes all three files and opens the window (its timer beside the poll interval).
    await vi.advanceTimersByTimeAsync(100);
    await settle(() => vi.getTimerCount() === 2, 'the debounce window to open');
    await vi.advanceTimersByTimeAsync(999);
    expect(changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await settle(() => changes.length >= 3, 'the batch');
    const key = (c: TracesDirChange) => `${c.sessionId}/${c.kind}`;
    expect(changes.map(key).sort()).toEqual(['sess-aaaaaa/meta', 'sess-aaaaaa/trace', 'sess-bbbbbb/trace']);
  });

  it('waits for a directory that does not exist yet, then reports what appears in it', async () => {
    const dir = join(root, 'later', 'traces');
    const changes: TracesDirChange[] = [];
    const errors: unknown[] = [];
    watcher = createTracesDirWatcher({ dir, debounceMs: 20, pollIntervalMs: 50, onError: (e) => errors.push(e) });
    watcher.subscribe((c) => changes.push(c));
    expect(watcher.mode).toBe('waiting');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'first-session.jsonl.gz'), 'a');
    await waitFor(changes, has('first-session', 'trace'));
    await waitFor(changes, () => watcher!.mode === 'watch');
    await writeFile(join(dir, 'second-session.jsonl.gz'), 'b');
    await waitFor(changes, has('second-session', 'trace'));
    expect(errors).toEqual([]);
  });

  it('survives the directory being deleted and re-created', async () => {
    const dir = join(root, 'traces');
    await mkdir(dir);
    const changes: TracesDirChange[] = [];
    watcher = createTracesDirWatcher({ dir, debounceMs: 20, pollIntervalMs: 50 });
    watcher.subscribe((c) => changes.push(c));
    await waitFor(changes, () => watcher!.mode === 'watch');
    await rm(dir, { recursive: true });
    await waitFor(changes, () => watcher!.mode === 'waiting');
    await mkdir(dir);
    await writeFile(join(dir, 'again-session.jsonl.gz'), 'a');
    await waitFor(changes, has('again-session', 'trace'));
  });

  it('delivers nothing after close and close is idempotent', async () => {
    const dir = join(root, 'traces');
    await mkdir(dir);
    const changes: TracesDirChange[] = [];
    watcher = createTracesDirWatcher({ dir, debounceMs: 20, pollIntervalMs: 50 });
    watcher.subscribe((c) => changes.push(c));
    await watcher.close();
    await watcher.close();
    // A second watcher, still open on the same directory with the same timings, sees the file:
    // by then the closed one would have delivered it too.
    const witness = createTracesDirWatcher({ dir, debounceMs: 20, pollIntervalMs: 50 });
    const seen: TracesDirChange[] = [];
    witness.subscribe((c) => seen.push(c));
    try {
      await waitFor(seen, () => witness.mode === 'watch');
      await writeFile(join(dir, 'late-session.jsonl.gz'), 'a');
      await waitFor(seen, has('late-session', 'trace'));
    } finally {
      await witness.close();
    }
    expect(changes).toEqual([]);
    expect(watcher.mode).toBe('closed');
  });

  it('keeps delivering when a listener throws', async () => {
    const dir = join(root, 'traces');
    await mkdir(dir);
    const changes: TracesDirChange[] = [];
    const errors: unknown[] = [];
    watcher = createTracesDirWatcher({ dir, debounceMs: 20, pollIntervalMs: 50, onError: (e) => errors.push(e) });
    watcher.subscribe(() => {
      throw new Error('listener bug');
    });
    watcher.subscribe((c) => changes.push(c));
    await waitFor(changes, () => watcher!.mode === 'watch');
    await writeFile(join(dir, 'sess-bbbbbb.jsonl.gz'), 'a');
    await waitFor(changes, has('sess-bbbbbb', 'trace'));
    expect(errors.length).toBeGreaterThan(0);
  });
});
