import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, EVERYTHING, ROOT, exitOf, waitForOutput } from './proxyHelpers.js';
import { descendants, killLeftovers, pollUntil, running } from './processTable.js';

const WRAPPER = join(ROOT, 'test/fixtures/proxy/wrapper.mjs');
const init = `${JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`;

/** The real server-everything process (a node process running its entry point) under `root`, once it runs. */
async function realServer(root: number): Promise<number> {
  let pid: number | undefined;
  await pollUntil(() => {
    pid = descendants(root).find((r) => /^\S*node\s+\S*(server-everything\/dist\/index\.js|\.bin\/mcp-server-everything)\s/.test(r.args))?.pid;
    return pid !== undefined;
  }, `server-everything under ${root}`);
  return pid!;
}

describe('proxy ends the whole upstream process group (built CLI, real server-everything)', () => {
  const started: number[] = [];
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    killLeftovers(started.splice(0));
  });

  const spawnCli = (args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess => {
    const child = spawn(process.execPath, [CLI, 'proxy', '--no-record', '--', ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT, env });
    children.push(child);
    return child;
  };

  it("leaves nothing behind when the client disconnects from the README's `npx -y` form", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'proxy', '--no-record', '--', 'npx', '-y', '@modelcontextprotocol/server-everything', 'stdio'],
      cwd: ROOT,
      stderr: 'ignore',
    });
    const client = new Client({ name: 'pg-test', version: '1.0.0' });
    await client.connect(transport);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    const proxyPid = transport.pid!;
    const server = await realServer(proxyPid);
    const group = descendants(proxyPid).map((r) => r.pid);
    started.push(proxyPid, ...group);
    // The server runs in a process group of its own, led by the proxy's child (npx).
    expect(descendants(proxyPid).every((r) => r.pgid !== proxyPid)).toBe(true);
    await client.close();
    await pollUntil(() => !running(server), `server ${server} to end`);
    await pollUntil(() => group.every((pid) => !running(pid)), 'npx and its shell to end');
  }, 60_000);

  it('ends the `npx -y` server on SIGTERM to the proxy', async () => {
    const child = spawnCli(['npx', '-y', '@modelcontextprotocol/server-everything', 'stdio']);
    child.stdin!.write(init);
    await waitForOutput(child, /"id":0/, 30_000);
    const server = await realServer(child.pid!);
    started.push(server);
    child.kill('SIGTERM');
    expect(await exitOf(child, 15_000)).toBe(0);
    await pollUntil(() => !running(server), `server ${server} to end`);
  }, 60_000);

  it('a SIGKILLed proxy leaves the server EOF on stdin, and server-everything ends on it', async () => {
    const child = spawnCli(['npx', '-y', '@modelcontextprotocol/server-everything', 'stdio']);
    child.stdin!.write(init);
    await waitForOutput(child, /"id":0/, 30_000);
    const server = await realServer(child.pid!);
    started.push(server);
    child.kill('SIGKILL');
    await exitOf(child);
    await pollUntil(() => !running(server), `server ${server} to end on EOF`);
  }, 60_000);

  it('ends a grandchild that never sees EOF, behind a wrapper that dies alone on SIGTERM', async () => {
    const child = spawnCli([process.execPath, WRAPPER, process.execPath, EVERYTHING, 'stdio']);
    child.stdin!.write(init);
    await waitForOutput(child, /"id":0/, 30_000);
    const wrapper = descendants(child.pid!).find((r) => r.args.includes('wrapper.mjs'))!.pid;
    const server = await realServer(child.pid!);
    started.push(wrapper, server);
    child.stdin!.end();
    expect(await exitOf(child, 20_000)).toBe(0);
    await pollUntil(() => !running(server) && !running(wrapper), 'the wrapper and its grandchild to end');
  }, 60_000);

  it('escalates to SIGKILL for a group member that ignores SIGTERM, on SIGTERM to the proxy', async () => {
    const child = spawnCli([process.execPath, WRAPPER, process.execPath, EVERYTHING, 'stdio'], { ...process.env, WRAP_IGNORE_TERM: '1' });
    child.stdin!.write(init);
    await waitForOutput(child, /"id":0/, 30_000);
    const wrapper = descendants(child.pid!).find((r) => r.args.includes('wrapper.mjs'))!.pid;
    const server = await realServer(child.pid!);
    started.push(wrapper, server);
    const ignored = waitForOutput(child, /wrapper: ignoring SIGTERM/, 20_000);
    child.kill('SIGTERM');
    await ignored;
    expect(await exitOf(child, 20_000)).toBe(0);
    expect(running(server)).toBe(false);
    expect(running(wrapper)).toBe(false);
  }, 60_000);
});
