import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, exitOf, ROOT, waitForOutput } from './proxyHelpers.js';

// The package as users get it: `npm pack` of the built checkout, installed into an empty
// directory from the tarball (its dependencies from the registry, or npm's cache), then used
// only through what the tarball holds. One install serves every case.

const run = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const INSTALL_TIMEOUT_MS = 300_000;

let work = '';
let app = '';
let tarball = '';
let bin = '';
let packedFiles: string[] = [];
const children: ChildProcess[] = [];

/** The environment without what a surrounding `npm test` sets for its own run (npm_*). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
  return { ...env, ...extra };
}

function track(child: ChildProcess): ChildProcess {
  children.push(child);
  return child;
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/src/index.js'))) throw new Error('build first (npm run build): dist/src/index.js is missing');
  work = await mkdtemp(join(tmpdir(), 'mcpscope-pkg-'));
  const packDir = join(work, 'pack');
  app = join(work, 'app');
  await mkdir(packDir);
  await mkdir(app);
  // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet; the suite built it already.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: ROOT, env: cleanEnv(), timeout: 120_000 });
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  tarball = join(packDir, info.filename);
  packedFiles = info.files.map((f) => f.path);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'mcpscope-install-check', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, env: cleanEnv(), timeout: INSTALL_TIMEOUT_MS });
  bin = join(app, 'node_modules/.bin/mcpscope');
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exitOf(child, 5000);
  }
  if (work) await rm(work, { recursive: true, force: true });
});

/** The first stdout line that is a JSON-RPC message with this id (bounded wait). */
function replyWithId(child: ChildProcess, id: number, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no reply with id ${id} within ${timeoutMs} ms; stdout: ${buffered}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let message: Record<string, unknown> | undefined;
        try {
          message = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (message.id === id) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(message);
          return;
        }
      }
    };
    child.stdout!.on('data', onData);
  });
}

describe('the packed package, installed from its tarball', () => {
  it('holds the built library and CLI, the docs, and nothing of bench/ or source maps', () => {
    expect(packedFiles).toEqual(expect.arrayContaining(['package.json', 'README.md', 'docs/trace-format.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli.js', 'dist/ui/index.html', 'dist/ui/manifest.json']));
    expect(packedFiles.filter((f) => /^dist\/ui\/assets\/main-\w+\.js$/.test(f))).toHaveLength(1);
    expect(packedFiles.filter((f) => f.startsWith('dist/bench') || f.startsWith('bench/') || f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
    expect(packedFiles.filter((f) => f.endsWith('.map'))).toEqual([]);
    // Every relative link of the README points at a file the package ships.
    const readme = readFileSync(join(app, 'node_modules/mcpscope/README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\((?!https?:|#)([^)\s#]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !existsSync(join(app, 'node_modules/mcpscope', l)))).toEqual([]);
  });

  it('`npx mcpscope --version` prints the version', async () => {
    // --no: never fetch a package of that name from the registry, only the installed one
    // (`--` keeps npx from taking --version for itself).
    const { stdout } = await run('npx', ['--no', '--', 'mcpscope', '--version'], { cwd: app, env: cleanEnv(), timeout: 60_000 });
    expect(stdout.trim()).toBe(VERSION);
  });

  it('`mcpscope serve --http --port 0` prints the gateway URL and answers /_inspector/health', async () => {
    const traces = join(work, 'serve-traces');
    const child = track(spawn(bin, ['serve', '--http', '--port', '0', '--traces-dir', traces], { cwd: app, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] }));
    const line = await waitForOutput(child, /gateway at http:\/\/127\.0\.0\.1:\d+\/#code=\S+/, 20_000);
    const base = /http:\/\/127\.0\.0\.1:\d+/.exec(line)![0];
    const res = await fetch(`${base}/_inspector/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: 'mcpscope', version: VERSION });
    // The browser UI comes with the package: its page and the script it references.
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${base}${script}`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exitOf(child, 10_000)).toBe(0);
  });

  it('`mcpscope proxy -- <server>` forwards an initialize and records the session', async () => {
    const traces = join(work, 'proxy-traces');
    const child = track(spawn(bin, ['proxy', '--traces-dir', traces, '--', process.execPath, EVERYTHING, 'stdio'], { cwd: app, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] }));
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'package-test', version: '1.0.0' } } };
    const reply = replyWithId(child, 1, 30_000);
    child.stdin!.write(`${JSON.stringify(initialize)}\n`);
    const message = (await reply) as { result?: { serverInfo: { name: string } } };
    expect(message.result?.serverInfo.name).toBeTruthy();
    child.stdin!.end();
    expect(await exitOf(child, 20_000)).toBe(0);
    expect((await readdir(traces)).some((f) => f.endsWith('.jsonl.gz'))).toBe(true);
  });

  it("`import('mcpscope')` gives the library: instrument a transport, write a trace, read it back", async () => {
    const traces = join(work, 'library-traces');
    const script = `
import * as api from 'mcpscope';
import { createSessionIndex, createTraceWriter, createRedactor, HOOK_CHANNELS, instrumentTransport, readTrace, SpanSchema, subscribeHook } from 'mcpscope';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';

const tracesDir = process.argv[2];
const writer = createTraceWriter({ tracesDir, sessionId: 'library-check-1', title: 'library check', engine: 'client' });
const hooked = [];
const unsubscribe = subscribeHook('spanEnd', (p) => hooked.push(p.span.name));

const server = new McpServer({ name: 'lib-server', version: '1.0.0' });
server.registerTool('shout', { description: 'upper-cases' }, async () => ({ content: [{ type: 'text', text: 'HELLO' }] }));
const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
await server.connect(serverSide);
const client = new Client({ name: 'lib-client', version: '1.0.0' });
await client.connect(instrumentTransport(clientSide, { sink: writer, sessionId: 'library-check-1' }));
const called = await client.callTool({ name: 'shout', arguments: { authorization: 'Bearer abcdefghijklmnop' } });
await client.close();
await server.close();
await writer.close();
unsubscribe();

const { spans, stats } = await readTrace(tracesDir, 'library-check-1');
const sessions = await createSessionIndex(tracesDir).list();
console.log(JSON.stringify({
  exports: Object.keys(api).sort(),
  channel: HOOK_CHANNELS.spanEnd,
  called: called.content[0].text,
  names: spans.map((s) => s.name),
  valid: spans.every((s) => SpanSchema.safeParse(s).success),
  toolInput: spans.find((s) => s.name === 'tools/call shout')?.attributes['mcp.tool.input_json'],
  hooked,
  truncated: stats.truncated,
  sessions: sessions.map((s) => ({ id: s.id, status: s.status, span_count: s.span_count })),
  redacted: createRedactor().redactValue({ password: 'hunter2', note: 'ok' }),
}));
`;
    await writeFile(join(app, 'library.mjs'), script);
    const { stdout } = await run(process.execPath, ['library.mjs', traces], { cwd: app, env: cleanEnv(), timeout: 60_000 });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out.exports).toEqual(expect.arrayContaining(['instrumentTransport', 'createTraceWriter', 'readTrace', 'readSpans', 'createSessionIndex', 'createRedactor', 'HOOK_CHANNELS', 'subscribeHook', 'SpanSchema', 'SessionMetaSchema']));
    expect(out.channel).toBe('mcpscope:span_end');
    expect(out.called).toBe('HELLO');
    expect(out.names).toEqual(expect.arrayContaining(['initialize', 'tools/call shout']));
    expect(out.valid).toBe(true);
    expect(out.toolInput).toBe('{"authorization":"[REDACTED]"}');
    expect(out.hooked).toEqual(expect.arrayContaining(['tools/call shout']));
    expect(out.truncated).toBe(false);
    expect(out.sessions).toEqual([{ id: 'library-check-1', status: 'completed', span_count: (out.names as string[]).length }]);
    expect(out.redacted).toEqual({ password: '[REDACTED]', note: 'ok' });
  });

  it('exposes only its entry points: deep imports are refused, package.json is readable', async () => {
    const script = `
const pkg = (await import('mcpscope/package.json', { with: { type: 'json' } })).default;
let deep;
try { await import('mcpscope/dist/src/cli.js'); deep = 'imported'; } catch (err) { deep = err.code; }
console.log(JSON.stringify({ name: pkg.name, deep }));
`;
    await writeFile(join(app, 'exports.mjs'), script);
    const { stdout } = await run(process.execPath, ['exports.mjs'], { cwd: app, env: cleanEnv(), timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ name: 'mcpscope', deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  });

  it('its types resolve under moduleResolution NodeNext, and are real types (a wrong call does not compile)', async () => {
    const source = `
import { createTraceWriter, instrumentTransport, readSpans, readTrace, subscribeHook, HOOK_CHANNELS, type InstrumentOptions, type SessionMeta, type Span, type TraceWriter } from 'mcpscope';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

const writer: TraceWriter = createTraceWriter({ tracesDir: '/tmp/none', sessionId: 'types-check', title: 't', engine: 'inbound' });
const meta: SessionMeta = writer.meta();
const status: 'running' | 'paused' | 'completed' | 'failed' | 'cancelled' = meta.status;
export async function first(): Promise<Span | undefined> {
  const { spans } = await readTrace('/tmp/none', 'types-check');
  for await (const span of readSpans('/tmp/none', 'types-check')) return span;
  return spans[0];
}
export function wrap(t: Transport): Transport {
  const options: InstrumentOptions = { sink: writer };
  return instrumentTransport(t, options);
}
const unsubscribe: () => void = subscribeHook('afterRpcResponse', (p) => void p.durationMs.toFixed(1));
const channel: 'mcpscope:span_end' = HOOK_CHANNELS.spanEnd;
// @ts-expect-error engine is one of proxy | inbound | client | workflow
createTraceWriter({ tracesDir: '/tmp/none', sessionId: 'types-check', title: 't', engine: 'nope' });
export { status, unsubscribe, channel };
`;
    await writeFile(join(app, 'check.ts'), source);
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          // Declarations are still read and used; only checking their insides (zod's are huge) is skipped.
          skipLibCheck: true,
          // A Node library's users have @types/node; the install directory borrows the repository's.
          typeRoots: [join(ROOT, 'node_modules/@types')],
          types: ['node'],
        },
        files: ['check.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/.bin/tsc');
    const result = await run(tsc, ['-p', join(app, 'tsconfig.json')], { cwd: app, env: cleanEnv(), timeout: 120_000 }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
    );
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  }, 150_000);
});
