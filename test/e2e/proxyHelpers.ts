import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const CLI = join(ROOT, 'dist/src/cli.js');
export const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const RAW_SERVER = join(ROOT, 'test/fixtures/proxy/rawServer.mjs');
export const TOY_SERVER = join(ROOT, 'test/fixtures/proxy/toyServer.mjs');

export async function tempDir(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'proxy-e2e-'));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A free TCP port on 127.0.0.1 (for servers that take a port number, not 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Waits (bounded) until the child's stderr or stdout matches `pattern`. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; saw ${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.stdout?.off('data', onData);
        resolvePromise(m[0]);
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
  });
}

/** Resolves with the exit code (bounded: kills the child after `timeoutMs`). */
export function exitOf(child: ChildProcess, timeoutMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise(code);
    });
  });
}

/** Starts the built CLI's proxy with piped stdio. */
export function spawnProxy(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, 'proxy', ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT });
}
