import { readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INDEX_HEADER, readMemberIndex } from '../../src/store/memberIndex.js';
import { readMetaFile } from '../../src/store/metaFile.js';
import { memberIndexPath, metaFilePath, traceFilePath } from '../../src/store/paths.js';
import { readTail, readTrace } from '../../src/store/traceReader.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { makeSpan, SID, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('index-')));
afterEach(() => cleanup());

const err = (i: number) => makeSpan(i, { status: { status_code: 'ERROR', description: 'x' } });
const text = (spans: ReturnType<typeof makeSpan>[]) => Buffer.from(spans.map((s) => `${JSON.stringify(s)}\n`).join(''));

/** A trace as an earlier version wrote it: members plus a v1 index (20-byte records, no error counts). */
async function writeV1Trace(): Promise<void> {
  const members = [text([makeSpan(0), err(1)]), text([makeSpan(2)]), text([err(3), err(4), makeSpan(5)])].map((t) => ({ t, gz: gzipSync(t) }));
  await writeFile(traceFilePath(dir, SID), Buffer.concat(members.map((m) => m.gz)));
  const idx = Buffer.alloc(20 * members.length);
  let offset = 0;
  members.forEach((m, k) => {
    idx.writeDoubleLE(offset, k * 20);
    idx.writeUInt32LE(m.gz.length, k * 20 + 8);
    idx.writeUInt32LE(m.t.length, k * 20 + 12);
    idx.writeUInt32LE([2, 1, 3][k]!, k * 20 + 16);
    offset += m.gz.length;
  });
  await writeFile(memberIndexPath(traceFilePath(dir, SID)), idx);
  await writeFile(metaFilePath(dir, SID), JSON.stringify({ id: SID, title: 'old', engine: 'proxy', status: 'completed', started_at: '2026-01-01T12:00:00.000000Z', span_count: 99, error_count: 99 }));
}

describe('the sidecar member index', () => {
  it('reads indexes of earlier versions (no error counts) without a warning, and a continuing writer upgrades them', async () => {
    await writeV1Trace();
    const records = await readMemberIndex(memberIndexPath(traceFilePath(dir, SID)), 1e9);
    expect(records.map((r) => [r.spans, r.errors])).toEqual([[2, undefined], [1, undefined], [3, undefined]]);
    expect((await readTrace(dir, SID)).stats).toEqual({ spans: 6, corruptLines: 0, truncated: false });
    expect((await readTail(dir, SID, 2)).spans).toHaveLength(2);

    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 'again', engine: 'proxy' });
    w.write(err(6));
    await w.close();
    expect(await readMetaFile(metaFilePath(dir, SID))).toMatchObject({ span_count: 7, error_count: 4 });
    const idx = await readFile(memberIndexPath(traceFilePath(dir, SID)));
    expect(idx.subarray(0, INDEX_HEADER.length).equals(INDEX_HEADER)).toBe(true);
    const upgraded = await readMemberIndex(memberIndexPath(traceFilePath(dir, SID)), 1e9);
    expect(upgraded.map((r) => [r.spans, r.errors])).toEqual([[2, 1], [1, 0], [3, 2], [1, 1]]);
    expect((await readTrace(dir, SID)).stats).toEqual({ spans: 7, corruptLines: 0, truncated: false });
  });

  it('skips records that cannot be true on their own (past the end, empty, more spans than bytes) and ignores a torn last record', async () => {
    const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', flushBytes: 1 });
    for (let i = 0; i < 5; i++) w.write(makeSpan(i));
    await w.close();
    const path = memberIndexPath(traceFilePath(dir, SID));
    const idx = await readFile(path);
    const size = (await readFile(traceFilePath(dir, SID))).length;
    const bad = Buffer.from(idx);
    bad.writeUInt32LE(size * 2, INDEX_HEADER.length + 8); // first record ends past the file
    bad.writeUInt32LE(1e9, INDEX_HEADER.length + 24 + 16); // second claims more spans than bytes
    await writeFile(path, Buffer.concat([bad, Buffer.alloc(7)]));
    expect(await readMemberIndex(path, size)).toHaveLength(3);
    const { spans, stats } = await readTrace(dir, SID);
    expect(spans).toHaveLength(5);
    expect(stats.truncated).toBe(false);
  });
});
