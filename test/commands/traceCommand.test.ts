import { execFile } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanSchema } from '../../src/core/span.js';
import { traceFilePath } from '../../src/store/paths.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { ensureBuilt, makeSpan, ROOT, tempDir } from '../store/storeTestKit.js';

const run = promisify(execFile);
const CLI = join(ROOT, 'dist/src/cli.js');
const ID = 'trace-cli-0001';
let dir: string;
let cleanup: () => Promise<void>;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, MCP_TRACES_DIR: dir }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const root = '00000000000000a1';
const child = '00000000000000b2';
const grandchild = '00000000000000c3';

beforeAll(async () => {
  ensureBuilt();
  ({ dir, cleanup } = await tempDir('cli-trace-'));
  const w = createTraceWriter({ tracesDir: dir, sessionId: ID, title: 't', engine: 'proxy' });
  // Written in end order: grandchild, child, root (+ an unrelated span that started first).
  w.write(makeSpan(3, { span_id: grandchild, parent_span_id: child, name: 'resources/read file:///x', status: { status_code: 'ERROR', description: 'not found' } }));
  w.write(makeSpan(2, { span_id: child, parent_span_id: root, name: 'tools/call read_file' }));
  w.write(makeSpan(1, { span_id: root, name: 'workflow run' }));
  w.write(makeSpan(0, { span_id: '00000000000000d4', name: 'initialize' }));
  await w.close();
}, 120_000);
afterAll(() => cleanup());

describe('mcpscope trace', () => {
  it('prints one line per span in start order', async () => {
    const { code, stdout, stderr } = await cli(['trace', ID]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => l.replace(/^\S+\s+[\d.,]+ \S+\s+/, ''))).toEqual([
      '✓ initialize',
      '✓ workflow run',
      '✓ tools/call read_file',
      '✗ resources/read file:///x  ! not found',
    ]);
    expect(lines[0]).toMatch(/^2026-01-01T12:00:00\.000000Z\s+0.5 ms\s/);
  });

  it('--tree indents children under parents with durations', async () => {
    const { code, stdout } = await cli(['trace', ID, '--tree']);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toEqual([
      '✓ initialize  (0.5 ms)',
      '✓ workflow run  (0.5 ms)',
      '  ✓ tools/call read_file  (0.5 ms)',
      '    ✗ resources/read file:///x  ! not found  (0.5 ms)',
    ]);
  });

  it('--json prints NDJSON spans in file order', async () => {
    const { code, stdout } = await cli(['trace', '--json', ID, '--traces-dir', dir]);
    expect(code).toBe(0);
    const spans = stdout.trimEnd().split('\n').map((l) => SpanSchema.parse(JSON.parse(l)));
    expect(spans.map((s) => s.span_id)).toEqual([grandchild, child, root, '00000000000000d4']);
  });

  it('warns on stderr about a torn tail but still prints the spans', async () => {
    const torn = 'torn-trace-0001';
    const w = createTraceWriter({ tracesDir: dir, sessionId: torn, title: 't', engine: 'proxy' });
    w.write(makeSpan(1));
    await w.close();
    await appendFile(traceFilePath(dir, torn), Buffer.from([0x1f, 0x8b, 8, 0, 0]));
    const { code, stdout, stderr } = await cli(['trace', torn]);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/warning: the trace ends in a torn write/);
  });

  it('usage errors exit 2 with one line; bad id exit 2; unknown session exit 3', async () => {
    for (const args of [['trace', ID, '--bogus'], ['trace'], ['trace', ID, '--json', '--tree'], ['trace', 'a', 'b']]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    for (const bad of ['../../etc/passwd', 'a%2Fbcdefg', 'z'.repeat(200)]) {
      const r = await cli(['trace', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/invalid session id/);
    }
    const r = await cli(['trace', 'no-such-session']);
    expect(r.code).toBe(3);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
