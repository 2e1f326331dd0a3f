import { readFile, writeFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInspectorError } from '../../src/core/errors.js';
import { memberIndexPath, traceFilePath } from '../../src/store/paths.js';
import { loadTraceLayout, openGzipRange, openNdjsonRange } from '../../src/store/traceLayout.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { makeSpan, SID, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('layout-')));
afterEach(() => cleanup());

async function writeSession(n: number, rotateBytes = 100 * 1024 * 1024): Promise<string> {
  const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', flushBytes: 1500, rotateBytes });
  for (let i = 0; i < n; i++) w.write(makeSpan(i));
  await w.close();
  return [...Array(n)].map((_, i) => `${JSON.stringify(makeSpan(i))}\n`).join('');
}

describe('trace layout', () => {
  it('serves NDJSON and gzip ranges across rotated parts', async () => {
    const ndjson = Buffer.from(await writeSession(40, 8192));
    const layout = await loadTraceLayout(dir, SID);
    expect(layout.files.length).toBeGreaterThan(1);
    expect(layout.ndjsonBytes).toBe(ndjson.length);
    expect(layout.truncated).toBe(false);
    expect(layout.etag).toMatch(/^"[^"]+"$/);
    for (const [s, e] of [[0, ndjson.length - 1], [0, 0], [1234, 5678], [ndjson.length - 10, ndjson.length - 1]] as const) {
      expect((await buffer(openNdjsonRange(layout, s, e))).equals(ndjson.subarray(s, e + 1))).toBe(true);
    }
    const gz = await buffer(openGzipRange(layout, 0, layout.gzipBytes - 1));
    expect(gz.length).toBe(layout.gzipBytes);
    expect(gunzipSync(gz).equals(ndjson)).toBe(true);
    const piece = Buffer.concat([await buffer(openGzipRange(layout, 0, 99)), await buffer(openGzipRange(layout, 100, layout.gzipBytes - 1))]);
    expect(piece.equals(gz)).toBe(true);
    expect(() => openNdjsonRange(layout, 0, ndjson.length)).toThrow(/outside/);
    expect(() => openGzipRange(layout, 5, 4)).toThrow(/outside/);
  });

  it('the etag changes when the trace grows; a torn tail is excluded and flagged', async () => {
    await writeSession(5);
    const before = await loadTraceLayout(dir, SID);
    const path = traceFilePath(dir, SID);
    await writeFile(path, gzipSync('{"x":1}\n').subarray(0, 12), { flag: 'a' });
    const after = await loadTraceLayout(dir, SID);
    expect(after.etag).not.toBe(before.etag);
    expect(after.truncated).toBe(true);
    expect(after.gzipBytes).toBe(before.gzipBytes);
    expect(after.files[0]!.completeBytes).toBe(before.files[0]!.completeBytes);
  });

  it('works for files written by other tools (no index)', async () => {
    const text = `${JSON.stringify(makeSpan(1))}\n${JSON.stringify(makeSpan(2))}\n`;
    await writeFile(traceFilePath(dir, SID), Buffer.concat([gzipSync(text.slice(0, 50)), gzipSync(text.slice(50))]));
    const layout = await loadTraceLayout(dir, SID);
    expect(layout.members).toHaveLength(2);
    expect((await buffer(openNdjsonRange(layout, 40, 60))).toString()).toBe(text.slice(40, 61));
    await expect(readFile(memberIndexPath(traceFilePath(dir, SID)))).rejects.toThrow();
  });

  it('unknown session -> SESSION_NOT_FOUND', async () => {
    await expect(loadTraceLayout(dir, 'nothing-here')).rejects.toSatisfy((e) => isInspectorError(e, 'SESSION_NOT_FOUND'));
    await expect(loadTraceLayout(dir, '..%2F..')).rejects.toSatisfy((e) => isInspectorError(e, 'INVALID_SESSION_ID'));
  });
});
