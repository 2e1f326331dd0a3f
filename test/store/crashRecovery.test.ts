import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readMetaFile } from '../../src/store/metaFile.js';
import { metaFilePath } from '../../src/store/paths.js';
import { readTrace } from '../../src/store/traceReader.js';
import { createSessionIndex } from '../../src/store/sessionIndex.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { ensureBuilt, makeSpan, ROOT, SID, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(() => ensureBuilt(), 120_000);
beforeEach(async () => ({ dir, cleanup } = await tempDir('crash-')));
afterEach(() => cleanup());

/** Runs the crash writer child until it has reported `reports` flushes, then SIGKILLs it. */
async function writeAndKill(reports: number): Promise<{ flushed: number; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'test/fixtures/store/crashWriter.mjs'), dir, SID], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let flushed = 0;
  let seen = 0;
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      flushed = Math.max(flushed, Number(line));
      if (++seen >= reports) break;
    }
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
    await exited;
  }
  return { flushed, stderr };
}

const errorsIn = (spans: { status: { status_code: string } }[]) => spans.filter((s) => s.status.status_code === 'ERROR').length;

describe('a writer killed with SIGKILL mid-stream', () => {
  // Before: the continuing writer added to the dead run's stale meta (31,142 spans in meta.json
  // for 32,904 in the file).
  it('a writer continuing the session takes its counts from the file, not from the stale meta', async () => {
    const first = await writeAndKill(60);
    expect(first.stderr).toBe('');
    const second = await writeAndKill(30); // continues the same session, killed again
    expect(second.stderr).toBe('');
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'again', engine: 'proxy' });
    for (let i = 0; i < 10; i++) w.write(makeSpan(i, i % 2 ? { status: { status_code: 'ERROR', description: 'x' } } : {}));
    await w.close();
    const { spans, stats } = await readTrace(dir, SID);
    expect(stats).toMatchObject({ corruptLines: 0, truncated: false });
    const meta = await readMetaFile(metaFilePath(dir, SID));
    // It had real errors, so by the outcome rules it ends failed rather than completed.
    expect(meta).toMatchObject({ span_count: spans.length, error_count: errorsIn(spans), status: 'failed' });
    expect(errorsIn(spans)).toBeGreaterThan(5);
  });

  it('loses nothing it reported as flushed; the session then lists as abandoned and can be continued', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'test/fixtures/store/crashWriter.mjs'), dir, SID], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let flushed = 0;
    let reports = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      for await (const line of createInterface({ input: child.stdout })) {
        flushed = Math.max(flushed, Number(line));
        if (++reports >= 40) {
          child.kill('SIGKILL');
          break;
        }
      }
    } finally {
      clearTimeout(timer);
      child.kill('SIGKILL');
      await exited;
    }
    expect(stderr).toBe('');
    expect(flushed).toBeGreaterThan(0);

    const { spans } = await readTrace(dir, SID);
    expect(spans.length).toBeGreaterThanOrEqual(flushed);
    expect(spans.slice(0, flushed).map((s) => s.attributes.seq)).toEqual(Array.from({ length: flushed }, (_, i) => i));

    const meta = await createSessionIndex(dir).get(SID);
    expect(meta).toMatchObject({ status: 'failed', span_count: spans.length });
    expect(meta!.reason).toMatch(/^abandoned(;|$)/);
    expect(meta!.pid).toBeUndefined();

    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'again', engine: 'proxy' });
    w.write(makeSpan(1, { attributes: { seq: -1 } }));
    await w.close();
    const again = await readTrace(dir, SID);
    expect(again.stats.truncated).toBe(false);
    expect(again.spans).toHaveLength(spans.length + 1);
    expect(again.spans.at(-1)!.attributes.seq).toBe(-1);
  });
});
