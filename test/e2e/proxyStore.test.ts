import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readMetaFile } from '../../src/store/metaFile.js';
import { metaFilePath } from '../../src/store/paths.js';
import { createSessionIndex } from '../../src/store/sessionIndex.js';
import { readTrace } from '../../src/store/traceReader.js';
import { ensureBuilt } from '../store/storeTestKit.js';
import { exitOf, spawnProxy, tempDir, TOY_SERVER, waitForOutput } from './proxyHelpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(() => ensureBuilt(), 120_000);
beforeEach(async () => (dir = await tempDir()));
afterEach(() => dir.cleanup());

const init = '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n';
const echo = (id: number) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"call ${id}"}}}\n`;

/** Every .jsonl.gz in the traces directory passes `gzip -t` (what zcat needs). */
async function everyTraceFileValid(): Promise<string[]> {
  const names = (await readdir(dir.path)).filter((n) => n.endsWith('.jsonl.gz'));
  for (const name of names) expect(spawnSync('gzip', ['-t', join(dir.path, name)]).status, name).toBe(0);
  return names;
}

describe('the proxy and the store', () => {
  // Before: two proxies on one --session-id wrote over each other (658 of 14,926 calls kept).
  it('a second proxy on the same --session-id is refused before it starts its server; the first records every call', async () => {
    const id = 'shared-session-1';
    const first = spawnProxy(['--traces-dir', dir.path, '--session-id', id, '--', process.execPath, TOY_SERVER]);
    try {
      const answers = createInterface({ input: first.stdout! });
      const answered = new Set<number>();
      const waitFor = async (n: number) => {
        for await (const line of answers) {
          answered.add(JSON.parse(line).id as number);
          if (answered.size >= n) return;
        }
      };
      first.stdin!.write(init);
      for (let i = 1; i <= 50; i++) first.stdin!.write(echo(i));
      await waitFor(51);

      const marker = join(dir.path, 'second-upstream-started');
      const second = spawnProxy(['--traces-dir', dir.path, '--session-id', id, '--', 'sh', '-c', `touch ${marker}; exec ${process.execPath} ${TOY_SERVER}`]);
      let secondOut = '';
      second.stdout!.on('data', (d: Buffer) => (secondOut += d.toString()));
      second.stdin!.write(init);
      const refusal = waitForOutput(second, /session shared-session-1 is being recorded by pid \d+[^\n]*use another --session-id/);
      expect(await exitOf(second)).toBe(1);
      expect(await refusal).toContain(`pid ${first.pid}`);
      expect(existsSync(marker)).toBe(false);
      expect(secondOut).toBe('');

      for (let i = 51; i <= 100; i++) first.stdin!.write(echo(i));
      await waitFor(101);
      first.stdin!.end();
      expect(await exitOf(first)).toBe(0);
    } finally {
      first.kill('SIGKILL');
    }
    expect(await everyTraceFileValid()).toEqual([`${id}.jsonl.gz`]);
    const { spans, stats } = await readTrace(dir.path, id);
    expect(stats).toMatchObject({ corruptLines: 0, truncated: false });
    expect(spans.filter((s) => s.name === 'tools/call echo')).toHaveLength(100);
    expect(await readMetaFile(metaFilePath(dir.path, id))).toMatchObject({ status: 'completed', span_count: spans.length });
    expect(existsSync(join(dir.path, `${id}.lock`))).toBe(false);
  }, 60_000);

  // Before: an upstream that failed to start left a 0-byte .jsonl.gz that zcat rejects.
  it('an upstream that cannot start leaves no unreadable trace file, and the session still lists', async () => {
    const child = spawnProxy(['--traces-dir', dir.path, '--session-id', 'no-upstream-1', '--', '/nonexistent-command']);
    expect(await exitOf(child)).toBe(127);
    expect(await everyTraceFileValid()).toEqual([]);
    expect(await readMetaFile(metaFilePath(dir.path, 'no-upstream-1'))).toMatchObject({ status: 'failed', span_count: 0 });
    expect(await readTrace(dir.path, 'no-upstream-1')).toMatchObject({ spans: [] });
    const listed = await createSessionIndex(dir.path).list();
    expect(listed.map((m) => [m.id, m.status, m.span_count])).toEqual([['no-upstream-1', 'failed', 0]]);
  }, 30_000);
});
