import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { ensureBuilt, makeSpan, ROOT, tempDir } from '../store/storeTestKit.js';

// `mcpscope trace <id> | head -1`: the reader leaves after the first line. It used to print an
// EPIPE stack and exit 1. The output must exceed the pipe buffer (64 KiB) for the writer to
// still be writing when the reader leaves, or the case cannot fail.
const CLI = join(ROOT, 'dist/src/cli.js');
const ID = 'closed-output-0001';
const SPANS = 3000;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ensureBuilt();
  ({ dir, cleanup } = await tempDir('cli-epipe-'));
  const w = createTraceWriter({ tracesDir: dir, sessionId: ID, title: 'many spans', engine: 'proxy' });
  for (let i = 0; i < SPANS; i++) w.write(makeSpan(i));
  await w.close();
  // Sessions whose list is far larger than a pipe buffer.
  for (let s = 0; s < 40; s++) {
    const sw = createTraceWriter({ tracesDir: dir, sessionId: `listed-session-${String(s).padStart(4, '0')}`, title: `title ${s} ${'x'.repeat(4000)}`, engine: 'proxy' });
    sw.write(makeSpan(s));
    await sw.close();
  }
}, 60_000);

afterAll(async () => {
  await cleanup();
});

/**
 * Runs `mcpscope ARGS | READER` through sh with a real OS pipe (64 KiB), as a user would,
 * and returns the CLI's exit code and stderr (kept in files: the pipeline's status is head's).
 */
async function pipeInto(args: string[], reader: string): Promise<{ code: number; readerOut: string; stderr: string }> {
  const errFile = join(dir, 'cli.stderr');
  const codeFile = join(dir, 'cli.code');
  await rm(codeFile, { force: true });
  const readerOut = await new Promise<string>((resolve, reject) => {
    const child = spawn('sh', ['-c', `{ "$0" "$@" 2>"$ERR_FILE"; echo $? >"$CODE_FILE"; } | ${reader}`, process.execPath, CLI, ...args], {
      env: { ...process.env, MCP_TRACES_DIR: dir, ERR_FILE: errFile, CODE_FILE: codeFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the pipeline did not end within 20 s'));
    }, 20_000);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
  return { code: Number((await readFile(codeFile, 'utf8')).trim()), readerOut, stderr: await readFile(errFile, 'utf8') };
}

describe('CLI output to a reader that leaves early (| head -1)', () => {
  it('trace | head -1: ends quietly with exit code 0 (lines, --tree, --json)', async () => {
    for (const args of [['trace', ID], ['trace', ID, '--tree'], ['trace', ID, '--json']]) {
      const r = await pipeInto(args, 'head -1');
      expect(r.readerOut.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  }, 60_000);

  it('sessions --json | head -c 100: ends quietly with exit code 0', async () => {
    // One line of ~170 KB: the reader leaves in its middle.
    const r = await pipeInto(['sessions', '--json'], 'head -c 100');
    expect(r.readerOut).toHaveLength(100);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);

  it('serve: stops cleanly (exit 0, no stack) when its MCP client no longer reads stdout', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--no-gateway', '--no-control', '--traces-dir', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout.destroy();
    // stdin stays open: only the closed output can end the server.
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    child.stdin.destroy();
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(code).toBe(0);
  }, 30_000);
});
