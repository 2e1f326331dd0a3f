import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeMetaFile } from '../../src/store/metaFile.js';
import { ensureTracesDir, metaFilePath, parseTraceDirEntry, traceFilePath } from '../../src/store/paths.js';
import { loadTraceLayout } from '../../src/store/traceLayout.js';
import { readTail, readTrace } from '../../src/store/traceReader.js';
import { tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('paths-')));
afterEach(() => cleanup());

describe('paths', () => {
  it('builds part, meta and index names and parses them back', () => {
    expect(traceFilePath('/t', 'abcdef')).toBe('/t/abcdef.jsonl.gz');
    expect(traceFilePath('/t', 'abcdef', 3)).toBe('/t/abcdef.3.jsonl.gz');
    expect(metaFilePath('/t', 'abcdef')).toBe('/t/abcdef.meta.json');
    expect(parseTraceDirEntry('abcdef.jsonl.gz')).toEqual({ kind: 'trace', sessionId: 'abcdef', part: 0 });
    expect(parseTraceDirEntry('abcdef.12.jsonl.gz')).toEqual({ kind: 'trace', sessionId: 'abcdef', part: 12 });
    expect(parseTraceDirEntry('abcdef.jsonl.gz.idx')).toEqual({ kind: 'index', sessionId: 'abcdef', part: 0 });
    expect(parseTraceDirEntry('abcdef.meta.json')).toEqual({ kind: 'meta', sessionId: 'abcdef' });
    expect(parseTraceDirEntry('abcdef.jsonl')).toEqual({ kind: 'plain', sessionId: 'abcdef' });
    expect(parseTraceDirEntry('abcdef.lock')).toEqual({ kind: 'lock', sessionId: 'abcdef' });
    expect(parseTraceDirEntry('abcdef.2.lock')).toBeUndefined();
    for (const n of ['abcdef.0.jsonl.gz', 'abcdef.01.jsonl.gz', 'abc.jsonl.gz', 'abcdef.meta.json.1-2.tmp', 'x.txt']) expect(parseTraceDirEntry(n)).toBeUndefined();
  });

  it('rejects ids that could leave the directory', () => {
    for (const bad of ['..', '../abcdef', 'abc/def', 'abc%2Fdef', 'abc\0def', 'a'.repeat(200), 'abc.def']) {
      expect(() => traceFilePath('/t', bad)).toThrow(/invalid session id/);
      expect(() => metaFilePath('/t', bad)).toThrow(/invalid session id/);
    }
    expect(() => traceFilePath('/t', 'abcdef', -1)).toThrow(/invalid trace part/);
  });

  it('creates the directory with mode 0700', async () => {
    await ensureTracesDir(join(dir, 'a', 'b'));
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o700);
    await ensureTracesDir(join(dir, 'a', 'b'));
  });

  it('a session with a meta but no trace yet reads as empty', async () => {
    await writeMetaFile(metaFilePath(dir, 'fresh-session'), { id: 'fresh-session', title: 't', engine: 'proxy', status: 'running', started_at: '2026-01-01T00:00:00.000000Z', span_count: 0, error_count: 0 });
    expect((await readTrace(dir, 'fresh-session')).spans).toEqual([]);
    expect((await readTail(dir, 'fresh-session', 5)).spans).toEqual([]);
    expect(await loadTraceLayout(dir, 'fresh-session')).toMatchObject({ files: [], members: [], ndjsonBytes: 0, gzipBytes: 0 });
  });
});
