import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SessionMetaSchema } from '../../src/core/session.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { ensureBuilt, makeSpan, ROOT, tempDir } from '../store/storeTestKit.js';

const run = promisify(execFile);
const CLI = join(ROOT, 'dist/src/cli.js');
let dir: string;
let cleanup: () => Promise<void>;

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, MCP_TRACES_DIR: '', ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  ensureBuilt();
  ({ dir, cleanup } = await tempDir('cli-sessions-'));
  // The list is newest first: give the three sessions start times a second apart.
  const t0 = Date.now();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(t0);
  const a = createTraceWriter({ tracesDir: dir, sessionId: 'first-session', title: 'first\ttitle', engine: 'proxy' });
  a.write(makeSpan(1));
  a.write(makeSpan(2, { status: { status_code: 'ERROR', description: 'bad' } }));
  await a.close({ status: 'failed', reason: 'upstream exited' });
  vi.setSystemTime(t0 + 1000);
  const b = createTraceWriter({ tracesDir: dir, sessionId: 'second-session', title: 'second', engine: 'workflow' });
  b.write(makeSpan(3));
  await b.close();
  vi.setSystemTime(t0 + 2000);
  const c = createTraceWriter({ tracesDir: dir, sessionId: 'third-session', title: 'third', engine: 'proxy' });
  await c.close({ status: 'failed', reason: `cannot start upstream "npx -y @modelcontextprotocol/server-everything stdio": ${'x'.repeat(200)}` });
  vi.useRealTimers();
}, 120_000);
afterAll(() => cleanup());

describe('mcpscope sessions', () => {
  it('prints a table, newest first', async () => {
    const { code, stdout, stderr } = await cli(['sessions', '--traces-dir', dir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SESSION\s+STATUS\s+ENGINE\s+SPANS\s+ERRORS/);
    expect(lines[1]).toMatch(/^third-session\s+failed\s+proxy\s+0\s+0\s.*third\s+cannot start upstream .{20,}…$/);
    expect(lines[2]).toMatch(/^second-session\s+completed\s+workflow\s+1\s+0\s/);
    expect(lines[3]).toMatch(/^first-session\s+failed\s+proxy\s+2\s+1\s.*first title\s+upstream exited; 1 JSON-RPC error: .*bad$/);
  });

  it('keeps the status column narrow: long reasons go to their own last column, cut', async () => {
    const { stdout } = await cli(['sessions', '--traces-dir', dir]);
    const lines = stdout.trimEnd().split('\n');
    const engineAt = lines[0]!.indexOf('ENGINE');
    expect(engineAt - lines[0]!.indexOf('STATUS')).toBeLessThanOrEqual('completed'.length + 2);
    for (const line of lines.slice(1)) expect(line.slice(engineAt)).toMatch(/^(proxy|workflow)\s/);
    const reason = lines[1]!.slice(lines[0]!.indexOf('REASON'));
    expect(reason.length).toBeLessThanOrEqual(60);
  });

  it('prints JSON records with --json, reading MCP_TRACES_DIR', async () => {
    const { code, stdout } = await cli(['sessions', '--json'], { MCP_TRACES_DIR: dir });
    expect(code).toBe(0);
    const list = (JSON.parse(stdout) as unknown[]).map((m) => SessionMetaSchema.parse(m));
    expect(list.map((m) => m.id)).toEqual(['third-session', 'second-session', 'first-session']);
  });

  it('says so when there are no sessions', async () => {
    const { code, stdout } = await cli(['sessions', '--traces-dir', join(dir, 'missing')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^no sessions in /);
    expect((await cli(['sessions', '--json', '--traces-dir', join(dir, 'missing')])).stdout.trim()).toBe('[]');
  });

  it('unknown flag or stray argument -> one line on stderr, exit 2', async () => {
    for (const args of [['sessions', '--bogus'], ['sessions', 'extra']]) {
      const { code, stdout, stderr } = await cli(args);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^mcpscope: sessions: /);
    }
  });
});
