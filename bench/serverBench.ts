import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Span } from '../src/core/span.js';
import { formatMicros } from '../src/core/time.js';
import { createInspectorContext, createInspectorServer } from '../src/server.js';
import { writeMetaFile } from '../src/store/metaFile.js';
import { metaFilePath } from '../src/store/paths.js';
import { readTrace } from '../src/store/traceReader.js';
import { createTraceWriter } from '../src/store/traceWriter.js';
import { fmt, percentile, type BenchRow, type BenchSuite } from './benchRow.js';

const SESSIONS = 10_000;
const SPANS = 50_000;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** 10,000 finished sessions as meta records (what listing reads). */
async function writeSessions(dir: string): Promise<void> {
  const base = Date.UTC(2026, 0, 1) * 1000;
  const statuses = ['completed', 'failed', 'cancelled'] as const;
  for (let i = 0; i < SESSIONS; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, SESSIONS - i) }, (_, k) => {
        const n = i + k;
        const id = `bench-${hex(n, 6)}`;
        const started = base + n * 60_000_000;
        return writeMetaFile(metaFilePath(dir, id), {
          id,
          title: `benchmark session ${n}`,
          engine: n % 2 ? 'proxy' : 'workflow',
          status: statuses[n % 3]!,
          started_at: formatMicros(started),
          ended_at: formatMicros(started + 5_000_000),
          duration_ms: 5000,
          span_count: 40,
          error_count: n % 3 === 1 ? 2 : 0,
        });
      }),
    );
  }
}

/** One 50,000-span session written with the real trace writer. */
async function writeBigTrace(dir: string, sessionId: string): Promise<void> {
  const writer = createTraceWriter({ tracesDir: dir, sessionId, title: 'big', engine: 'proxy', flushBytes: 1 << 20 });
  const base = Date.UTC(2026, 0, 1, 12) * 1000;
  for (let i = 0; i < SPANS; i++) {
    const start = base + i * 2000;
    const error = i % 997 === 996;
    const tool = ['echo', 'add', 'read_file'][i % 3]!;
    const span: Span = {
      trace_id: hex(1, 32),
      span_id: hex(i + 1, 16),
      name: `tools/call ${tool}`,
      kind: 'SERVER',
      start_time: formatMicros(start),
      end_time: formatMicros(start + 100 + ((i * 7919) % 1000) * 10),
      status: error ? { status_code: 'ERROR', description: `invalid input #${i}` } : { status_code: 'OK' },
      attributes: {
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': tool,
        'jsonrpc.request.id': i,
        'mcp.rpc.request_json': JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: tool, arguments: { message: `hello ${i}` } } }),
        'mcp.rpc.response_json': JSON.stringify({ jsonrpc: '2.0', id: i, result: { content: [{ type: 'text', text: `Echo: hello ${i}` }] } }),
      },
    };
    if (i % 5 !== 0) span.parent_span_id = hex(i - (i % 5) + 1, 16);
    writer.write(span);
  }
  await writer.close();
}

async function connect(tracesDir: string) {
  const context = createInspectorContext({ tracesDir, watch: false });
  const { server, close } = createInspectorServer(context);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(a);
  const timeCall = async (name: string, args: Record<string, unknown>) => {
    const t0 = performance.now();
    const result = await client.callTool({ name, arguments: args });
    const ms = performance.now() - t0;
    if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content).slice(0, 200)}`);
    return ms;
  };
  return {
    timeCall,
    async close() {
      await client.close();
      await close();
      await context.close();
    },
  };
}

/**
 * The inspector MCP server through a real in-memory Client: `list_sessions` over 10,000
 * sessions once warm (baseline: the cold first call), and the `get_trace` summary of a
 * 50,000-span trace once warm (baseline: `readTrace` alone of the same file).
 */
export const serverBench: BenchSuite = async () => {
  const listDir = await mkdtemp(join(tmpdir(), 'bench-server-list-'));
  const traceDir = await mkdtemp(join(tmpdir(), 'bench-server-trace-'));
  const rows: BenchRow[] = [];
  try {
    await writeSessions(listDir);
    // Let the directory settle so the index may serve warm listings from memory.
    await new Promise((r) => setTimeout(r, 100));
    const lister = await connect(listDir);
    try {
      const cold = await lister.timeCall('list_sessions', {});
      const warm: number[] = [];
      for (let i = 0; i < 20; i++) warm.push(await lister.timeCall('list_sessions', { limit: 100 }));
      const filtered: number[] = [];
      for (let i = 0; i < 10; i++) filtered.push(await lister.timeCall('list_sessions', { status: 'failed', query: 'session 9' }));
      const p50 = percentile(warm, 50);
      rows.push({ name: `list_sessions, ${fmt(SESSIONS)} sessions (warm p50)`, measured: `${fmt(p50, 1)} ms`, target: '< 100 ms', baseline: `cold first call ${fmt(cold, 1)} ms`, ok: p50 < 100 });
      const fp50 = percentile(filtered, 50);
      rows.push({ name: 'list_sessions, status+text filter (warm p50)', measured: `${fmt(fp50, 1)} ms`, target: '< 100 ms', baseline: `cold first call ${fmt(cold, 1)} ms`, ok: fp50 < 100 });
    } finally {
      await lister.close();
    }

    const id = 'bench-big-trace';
    await writeBigTrace(traceDir, id);
    const t0 = performance.now();
    await readTrace(traceDir, id);
    const readMs = performance.now() - t0;
    const reader = await connect(traceDir);
    try {
      const cold = await reader.timeCall('get_trace', { session_id: id });
      const warm: number[] = [];
      for (let i = 0; i < 5; i++) warm.push(await reader.timeCall('get_trace', { session_id: id }));
      const p50 = percentile(warm, 50);
      rows.push({ name: `get_trace summary, ${fmt(SPANS)} spans (warm p50)`, measured: `${fmt(p50, 1)} ms`, target: '< 500 ms', baseline: `readTrace alone ${fmt(readMs, 0)} ms`, ok: p50 < 500 });
      rows.push({ name: `get_trace summary, ${fmt(SPANS)} spans (cold)`, measured: `${fmt(cold, 0)} ms`, target: '(info)', baseline: `readTrace alone ${fmt(readMs, 0)} ms`, ok: true });
      const pages: number[] = [];
      for (let i = 0; i < 5; i++) pages.push(await reader.timeCall('get_trace', { session_id: id, view: 'spans', status: 'error' }));
      const pp50 = percentile(pages, 50);
      rows.push({ name: 'get_trace spans page, status=error (warm p50)', measured: `${fmt(pp50, 1)} ms`, target: '< 500 ms', baseline: `readTrace alone ${fmt(readMs, 0)} ms`, ok: pp50 < 500 });
    } finally {
      await reader.close();
    }
  } finally {
    await rm(listDir, { recursive: true, force: true });
    await rm(traceDir, { recursive: true, force: true });
  }
  return rows;
};
