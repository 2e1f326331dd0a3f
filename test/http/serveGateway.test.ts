import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

// Runs the built CLI (the suite's globalSetup builds it), as `npm start` does.
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
  it('serve --http --port 0 prints the sign-in link and the token, serves routes and /mcp, stops on SIGTERM', async () => {
    const dir = await tempDir();
    const { child, match } = await startCli(['serve', '--http', '--port', '0', '--traces-dir', dir], /gateway at (http:\/\/127\.0\.0\.1:\d+)\/#code=[A-Za-z0-9_-]+\s+mcpscope: API token: ([A-Za-z0-9_-]+)/);
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
    const first = await startCli(['serve', '--port', '0', '--traces-dir', dir, '--token', 'a-sufficiently-long-token'], /gateway at (http:\/\/127\.0\.0\.1:(\d+))\/#code=\S+\s+mcpscope: API token: a-sufficiently-long-token/);
    const port = first.match[2]!;
    const status = await request(`${first.match[1]}/_inspector/sessions`);
    expect(status.statusCode).toBe(200);
    await status.body.dump();
    const second = await startCli(['serve', '--port', port, '--traces-dir', dir], /warning: HTTP gateway not started[^\n]*\n/);
    expect(second.stderr()).toMatch(/already in use/);
    // stdio still serves: it answers a ping, and closing stdin ends both processes cleanly.
    const pong = new Promise<string>((resolveLine, reject) => {
      let out = '';
      second.child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolveLine(out.slice(0, out.indexOf('\n')));
      });
      second.child.once('exit', (code) => reject(new Error(`serve exited ${code} instead of answering`)));
    });
    second.child.stdin!.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    expect(JSON.parse(await pong)).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
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
    for (const args of [['serve', '--http', '--no-gateway'], ['serve', '--http', '--port', 'abc'], ['serve', '--http', '--host', '0.0.0.0', '--port', '0'], ['serve', '--http', '--retention-days', '-1'], ['serve', '--http', '--retention-max-mb', 'lots']]) {
      const bad = spawn(process.execPath, [CLI, ...args, '--traces-dir', dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MCPSCOPE_TOKEN: '' } });
      children.push(bad);
      let err = '';
      bad.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      expect(await exitOf(bad), args.join(' ')).toBe(2);
      expect(err).toMatch(/mcpscope: /);
    }
  });

  it('applies retention at start: says its limits, deletes finished sessions past them, keeps recent ones; 0 turns it off', async () => {
    const dir = await tempDir();
    const { createTraceWriter } = await import('../../src/store/traceWriter.js');
    const { utimes, readdir } = await import('node:fs/promises');
    for (const id of ['retained-old-1', 'retained-new-2']) {
      const w = createTraceWriter({ tracesDir: dir, sessionId: id, title: id, engine: 'proxy' });
      await w.close();
    }
    const old = new Date(Date.now() - 3 * 86_400_000);
    for (const name of (await readdir(dir)).filter((n) => n.startsWith('retained-old-1'))) await utimes(join(dir, name), old, old);

    const off = await startCli(['serve', '--http', '--port', '0', '--traces-dir', dir, '--retention-days', '0', '--retention-max-mb', '0'], /gateway at http/);
    expect(off.stderr()).toContain('retention off: sessions are kept forever');
    off.child.kill('SIGTERM');
    expect(await exitOf(off.child)).toBe(0);
    expect((await readdir(dir)).some((n) => n.startsWith('retained-old-1'))).toBe(true);

    const on = await startCli(['serve', '--http', '--port', '0', '--traces-dir', dir], /retention deleted 1 session/, { MCPSCOPE_RETENTION_DAYS: '2' });
    expect(on.stderr()).toMatch(/retention: deleting finished sessions last written over 2 days ago, and the oldest while traces exceed 2048 MiB/);
    const names = await readdir(dir);
    expect(names.some((n) => n.startsWith('retained-old-1'))).toBe(false);
    expect(names.some((n) => n.startsWith('retained-new-2'))).toBe(true);
    on.child.kill('SIGTERM');
    expect(await exitOf(on.child)).toBe(0);
  });

  it('--allowed-host / --allowed-origin (or MCPSCOPE_ALLOWED_HOSTS/ORIGINS) let a reverse proxy\'s Host and Origin through', async () => {
    const dir = await tempDir();
    const URL_RE = /gateway at (http:\/\/127\.0\.0\.1:(\d+))\//;
    const health = (port: string, headers: Record<string, string>) =>
      new Promise<{ status: number; cors?: string }>((resolvePromise, reject) => {
        const req = httpGet({ host: '127.0.0.1', port: Number(port), path: '/_inspector/health', headers }, (res) => {
          res.resume();
          res.once('end', () => resolvePromise({ status: res.statusCode ?? 0, ...(res.headers['access-control-allow-origin'] ? { cors: String(res.headers['access-control-allow-origin']) } : {}) }));
        });
        req.once('error', reject);
      });
    const stop = async (child: ChildProcess) => {
      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
    };

    const plain = await startCli(['serve', '--http', '--port', '0', '--traces-dir', dir], URL_RE);
    expect((await health(plain.match[2]!, { host: 'inspector.example.com' })).status).toBe(403);
    await stop(plain.child);

    const flagged = await startCli(['serve', '--http', '--port', '0', '--traces-dir', dir, '--allowed-host', 'inspector.example.com', '--allowed-origin', 'https://inspector.example.com,https://ui.example.com'], URL_RE);
    const port = flagged.match[2]!;
    expect(await health(port, { host: 'inspector.example.com' })).toEqual({ status: 200 });
    expect(await health(port, { host: `inspector.example.com:${port}` })).toEqual({ status: 200 });
    expect((await health(port, { host: 'other.example.com' })).status).toBe(403);
    expect(await health(port, { host: 'inspector.example.com', origin: 'https://inspector.example.com' })).toEqual({ status: 200, cors: 'https://inspector.example.com' });
    expect(await health(port, { host: 'inspector.example.com', origin: 'https://ui.example.com' })).toEqual({ status: 200, cors: 'https://ui.example.com' });
    expect((await health(port, { host: 'inspector.example.com', origin: 'https://evil.example.com' })).status).toBe(403);
    await stop(flagged.child);

    // The variables, and a flag beating them.
    const env = { MCPSCOPE_ALLOWED_HOSTS: 'a.example.com, inspector.example.com', MCPSCOPE_ALLOWED_ORIGINS: 'https://inspector.example.com' };
    const viaEnv = await startCli(['serve', '--http', '--port', '0', '--traces-dir', dir], URL_RE, env);
    expect(await health(viaEnv.match[2]!, { host: 'inspector.example.com', origin: 'https://inspector.example.com' })).toEqual({ status: 200, cors: 'https://inspector.example.com' });
    await stop(viaEnv.child);
    const flagOverEnv = await startCli(['serve', '--http', '--port', '0', '--traces-dir', dir, '--allowed-host', 'b.example.com'], URL_RE, env);
    expect((await health(flagOverEnv.match[2]!, { host: 'inspector.example.com' })).status).toBe(403);
    expect((await health(flagOverEnv.match[2]!, { host: 'b.example.com' })).status).toBe(200);
    await stop(flagOverEnv.child);

    // Malformed values are usage errors (exit 2, one line), before anything listens.
    for (const args of [['serve', '--http', '--allowed-host', 'http://inspector.example.com/'], ['serve', '--http', '--allowed-origin', 'inspector.example.com'], ['serve', '--http', '--allowed-origin', 'https://x.example.com/path'], ['proxy', '--allowed-host', 'x.example.com', '--', 'true']]) {
      const bad = spawn(process.execPath, [CLI, ...args, '--traces-dir', dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MCPSCOPE_TOKEN: '' } });
      children.push(bad);
      let err = '';
      bad.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      expect(await exitOf(bad), args.join(' ')).toBe(2);
      expect(err.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
