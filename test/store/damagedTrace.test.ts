import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadTraceLayout } from '../../src/store/traceLayout.js';
import { readTail, readTrace } from '../../src/store/traceReader.js';
import { connectInspector } from '../fixtures/traces/inspectorClient.js';
import { damages, intactIds, writeIndexedTrace } from './damageKit.js';
import { ensureBuilt, ROOT, SID, tempDir } from './storeTestKit.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(() => ensureBuilt(), 120_000);
beforeEach(async () => ({ dir, cleanup } = await tempDir('damage-')));
afterEach(() => cleanup());

const N = 400;
const ids = (spans: { attributes: Record<string, unknown> }[]) => spans.map((s) => s.attributes['jsonrpc.request.id']);

/** Runs the built CLI's `trace` command; resolves with its output (bounded). */
function traceCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'trace', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// Before: with the index present, a zeroed header in the middle cost every later span of the
// file (2,343 of 4,707 returned, no warning); an index record 7 bytes off cost two members.
describe('a trace damaged in the middle, with its index in place', () => {
  for (const damage of damages(20)) {
    it(`${damage.name}: every intact span is read by the readers, the CLI and get_trace, with a warning`, async () => {
      const trace = await writeIndexedTrace(dir, SID, N);
      await damage.apply(trace);
      const expected = intactIds(trace, damage);

      const { spans, stats } = await readTrace(dir, SID);
      expect(ids(spans)).toEqual(expected);
      expect(stats.corruptLines).toBeGreaterThan(0);
      expect(stats.truncated).toBe(false);
      const tail = await readTail(dir, SID, N);
      expect(ids(tail.spans)).toEqual(expected);
      expect(ids((await readTail(dir, SID, 5)).spans)).toEqual(expected.slice(-5));
      const layout = await loadTraceLayout(dir, SID, { verify: true });
      expect(layout.damaged).toBeGreaterThan(0);

      const cli = await traceCli([SID, '--json', '--traces-dir', dir]);
      expect(cli.code).toBe(0);
      expect(cli.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).attributes['jsonrpc.request.id'])).toEqual(expected);
      expect(cli.stderr.match(/warning:/g)).toHaveLength(1);
      expect(cli.stderr).toMatch(/damaged region|index/);

      const conn = await connectInspector({ tracesDir: dir, watch: false });
      try {
        const result = await conn.call('get_trace', { session_id: SID });
        expect(result.isError).toBeFalsy();
        const { summary } = result.structuredContent as { summary: { span_count: number; corrupt_lines: number } };
        expect(summary.span_count).toBe(expected.length);
        expect(summary.corrupt_lines).toBeGreaterThan(0);
      } finally {
        await conn.close();
      }
    }, 30_000);
  }

  it('an intact trace reads without any warning', async () => {
    await writeIndexedTrace(dir, SID, N);
    const { spans, stats } = await readTrace(dir, SID);
    expect(spans).toHaveLength(N);
    expect(stats).toEqual({ spans: N, corruptLines: 0, truncated: false });
    const cli = await traceCli([SID, '--traces-dir', dir]);
    expect(cli.stderr).toBe('');
    expect((await loadTraceLayout(dir, SID, { verify: true })).damaged).toBe(0);
  }, 30_000);
});

