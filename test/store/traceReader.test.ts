import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInspectorError } from '../../src/core/errors.js';
import { memberIndexPath, plainTraceFilePath, traceFilePath } from '../../src/store/paths.js';
import { readSpans, readTail, readTrace, readTraceFile } from '../../src/store/traceReader.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { makeSpan, SID, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

const line = (i: number) => `${JSON.stringify(makeSpan(i))}\n`;
const member = (...ids: number[]) => gzipSync(Buffer.from(ids.map(line).join('')));
const ids = (spans: { attributes: Record<string, unknown> }[]) => spans.map((s) => s.attributes['jsonrpc.request.id']);

async function writeSession(n: number, flushBytes = 1): Promise<string> {
  const w = createTraceWriter({ tracesDir: dir, sessionId: SID, title: 't', engine: 'proxy', flushBytes });
  for (let i = 0; i < n; i++) w.write(makeSpan(i));
  await w.close();
  return traceFilePath(dir, SID);
}

describe('readSpans / readTrace', () => {
  it('streams spans in file order with stats complete after iteration', async () => {
    await writeSession(30, 5000);
    const result = readSpans(dir, SID);
    const seen: unknown[] = [];
    for await (const span of result) seen.push(span.attributes['jsonrpc.request.id']);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(result.stats).toEqual({ spans: 30, corruptLines: 0, truncated: false });
  });

  it('skips and counts a corrupt line in the middle', async () => {
    await writeFile(traceFilePath(dir, SID), Buffer.concat([member(0, 1), gzipSync('{"not":"a span"}\nnot json at all\n'), member(2)]));
    const { spans, stats } = await readTrace(dir, SID);
    expect(ids(spans)).toEqual([0, 1, 2]);
    expect(stats).toEqual({ spans: 3, corruptLines: 2, truncated: false });
  });

  it('reads an empty file as an empty trace', async () => {
    await writeFile(traceFilePath(dir, SID), '');
    expect(await readTrace(dir, SID)).toEqual({ spans: [], stats: { spans: 0, corruptLines: 0, truncated: false } });
  });

  it('reads a .jsonl.gz that is not gzip as plain lines, counting garbage', async () => {
    await writeFile(traceFilePath(dir, SID), Buffer.concat([Buffer.from(line(0)), Buffer.from([0xff, 0xfe, 0, 1, 2, 10])]));
    const { spans, stats } = await readTrace(dir, SID);
    expect(ids(spans)).toEqual([0]);
    expect(stats.corruptLines).toBe(1);
  });

  it('returns every good member of a file whose last member was cut short', async () => {
    const last = member(3, 4);
    await writeFile(traceFilePath(dir, SID), Buffer.concat([member(0), member(1, 2), last.subarray(0, last.length - 5)]));
    const { spans, stats } = await readTrace(dir, SID);
    expect(ids(spans)).toEqual([0, 1, 2]);
    expect(stats).toEqual({ spans: 3, corruptLines: 0, truncated: true });
  });

  it('a flipped byte in the last member costs only that member, with or without an index', async () => {
    const path = await writeSession(6); // one member per span, indexed
    const buf = await readFile(path);
    buf[buf.length - 12] ^= 0x55; // inside the last member's deflate data / CRC
    await writeFile(path, buf);
    const { spans, stats } = await readTrace(dir, SID);
    expect(ids(spans)).toEqual([0, 1, 2, 3, 4]);
    expect(stats.truncated).toBe(true);
    const tail = await readTail(dir, SID, 2);
    expect(ids(tail.spans)).toEqual([3, 4]);
    await writeFile(memberIndexPath(path), ''); // no index: full scan finds the same
    expect(ids((await readTrace(dir, SID)).spans)).toEqual([0, 1, 2, 3, 4]);
  });

  it('skips a garbled member in the middle and keeps what follows', async () => {
    const bad = member(1);
    bad[bad.length - 9] ^= 0xff;
    await writeFile(traceFilePath(dir, SID), Buffer.concat([member(0), bad, member(2)]));
    const { spans, stats } = await readTrace(dir, SID);
    expect(ids(spans)).toEqual([0, 2]);
    expect(stats.truncated).toBe(false);
    expect(stats.corruptLines).toBe(1);
  });

  it('reads plain .jsonl sessions and flags a cut last line', async () => {
    await writeFile(plainTraceFilePath(dir, SID), `${line(0)}${line(1)}${line(2).slice(0, 40)}`);
    const { spans, stats } = await readTrace(dir, SID);
    expect(ids(spans)).toEqual([0, 1]);
    expect(stats.truncated).toBe(true);
    expect(ids((await readTail(dir, SID, 1)).spans)).toEqual([1]);
  });

  it('reads lines that straddle gzip members written by other tools', async () => {
    const text = Buffer.from([0, 1, 2].map(line).join(''));
    await writeFile(traceFilePath(dir, SID), Buffer.concat([gzipSync(text.subarray(0, 100)), gzipSync(text.subarray(100, 3000)), gzipSync(text.subarray(3000))]));
    expect(ids((await readTrace(dir, SID)).spans)).toEqual([0, 1, 2]);
    expect(ids((await readTail(dir, SID, 2)).spans)).toEqual([1, 2]);
  });

  it('unknown session -> SESSION_NOT_FOUND; bad id -> INVALID_SESSION_ID at once', async () => {
    await expect(readTrace(dir, 'no-such-session')).rejects.toSatisfy((e) => isInspectorError(e, 'SESSION_NOT_FOUND'));
    const it = readSpans(dir, 'no-such-session')[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toSatisfy((e) => isInspectorError(e, 'SESSION_NOT_FOUND'));
    for (const bad of ['../etc', 'a%2Fbcdef', 'ab\0cdefg', 'y'.repeat(200)]) {
      expect(() => readSpans(dir, bad)).toThrow(/invalid session id/);
      await expect(readTail(dir, bad, 1)).rejects.toSatisfy((e) => isInspectorError(e, 'INVALID_SESSION_ID'));
    }
  });

  it('stops on abort', async () => {
    await writeSession(10);
    const ac = new AbortController();
    ac.abort();
    await expect(readTrace(dir, SID).then(() => undefined)).resolves.toBeUndefined();
    const iter = readSpans(dir, SID, { signal: ac.signal })[Symbol.asyncIterator]();
    await expect(iter.next()).rejects.toThrow();
  });
});

describe('readTail', () => {
  it('returns the last n spans in file order', async () => {
    await writeSession(25, 700);
    expect(ids((await readTail(dir, SID, 4)).spans)).toEqual([21, 22, 23, 24]);
    expect((await readTail(dir, SID, 100)).spans).toHaveLength(25);
    expect((await readTail(dir, SID, 0)).spans).toEqual([]);
    await expect(readTail(dir, SID, -1)).rejects.toSatisfy((e) => isInspectorError(e, 'INVALID_ARGUMENT'));
  });
});

describe('readTraceFile', () => {
  it('reads arbitrary .jsonl and .jsonl.gz files', async () => {
    await mkdir(join(dir, 'x'));
    await writeFile(join(dir, 'x', 'a.jsonl'), line(5));
    await writeFile(join(dir, 'x', 'b.jsonl.gz'), member(6, 7));
    const collect = async (p: string) => {
      const out: unknown[] = [];
      for await (const s of readTraceFile(p)) out.push(s.attributes['jsonrpc.request.id']);
      return out;
    };
    expect(await collect(join(dir, 'x', 'a.jsonl'))).toEqual([5]);
    expect(await collect(join(dir, 'x', 'b.jsonl.gz'))).toEqual([6, 7]);
    await expect(collect(join(dir, 'x', 'missing.jsonl'))).rejects.toSatisfy((e) => isInspectorError(e, 'IO_ERROR'));
  });
});
