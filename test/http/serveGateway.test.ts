import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

// Runs the built CLI (`npx tsc -p .` first), as `npm start` does.
const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'inspector-serve-http-'));
  dirs.push(d);
  return d;
}

/** Spawns the CLI and resolves once stderr matches `pattern` (or rejects after 15 s / on exit). */
function startCli(args: string[], pattern: RegExp, env: Record<string, string> = {}): Promise<{ child: ChildProcess; stderr: () => string; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, MCPSCOPE_TOKEN: '', MCPSCOPE_PORT: '', MCPSCOPE_HOST: '', ...env } });
  children.push(child);
  let stderr = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} on stderr in 15 s: ${stderr}`)), 15_000);
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const match = pattern.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, stderr: () => stderr, match });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${stderr}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

describe('mcpscope serve and the gateway (built CLI)', () => {
  it('serve --http --port 0 prints the URL with the token, serves routes and /mcp, stops on SIGTERM', async () => {
    const dir = await tempDir();
    const { child, match } = await startCli(['serve', '--http', '--port', '0', '--traces-dir', dir], /gateway at (http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]+)/);
    const [, url, token] = match;
    const health = await request(`${url}/_inspector/health`);
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toMatchObject({ name: 'mcpscope' });
    const client = new Client({ name: 'serve-http-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('list_sessions');
    await client.close();
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
  });

  it('serve (stdio) starts the gateway beside it, and carries on with a warning when the port is taken', async () => {
    const dir = await tempDir();
    const first = await startCli(['serve', '--port', '0', '--traces-dir', dir, '--token', 'a-sufficiently-long-token'], /gateway at (http:\/\/127\.0\.0\.1:(\d+))\/#token=a-sufficiently-long-token/);
    const port = first.match[2]!;
    const status = await request(`${first.match[1]}/_inspector/sessions`);
    expect(status.statusCode).toBe(200);
    await status.body.dump();
    const second = await startCli(['serve', '--port', port, '--traces-dir', dir], /warning: HTTP gateway not started[^\n]*\n/);
    expect(second.stderr()).toMatch(/already in use/);
    // stdio still serves: closing stdin ends both processes cleanly.
    await new Promise((r) => setTimeout(r, 100));
    expect(second.child.exitCode).toBe(null);
    for (const { child } of [first, second]) child.stdin!.end();
    expect(await exitOf(second.child)).toBe(0);
    expect(await exitOf(first.child)).toBe(0);
  });

  it('--no-gateway serves stdio only; bad gateway flags are usage errors', async () => {
    const dir = await tempDir();
    const { child, stderr } = await startCli(['serve', '--no-gateway', '--traces-dir', dir], /serving MCP on stdio/);
    expect(stderr()).not.toContain('gateway');
    child.stdin!.end();
    expect(await exitOf(child)).toBe(0);
    for (const args of [['serve', '--http', '--no-gateway'], ['serve', '--http', '--port', 'abc'], ['serve', '--http', '--host', '0.0.0.0', '--port', '0']]) {
      const bad = spawn(process.execPath, [CLI, ...args, '--traces-dir', dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MCPSCOPE_TOKEN: '' } });
      children.push(bad);
      let err = '';
      bad.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      expect(await exitOf(bad), args.join(' ')).toBe(2);
      expect(err).toMatch(/mcpscope: /);
    }
  });
});
