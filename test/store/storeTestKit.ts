import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Span } from '../../src/core/span.js';
import { formatMicros } from '../../src/core/time.js';
import { assertDistFresh } from '../distBuild.js';

/** A realistic MCP tools/call span; `i` goes into the name, the request id and the times. */
export function makeSpan(i: number, extra: Partial<Span> = {}): Span {
  const start = Date.UTC(2026, 0, 1, 12) * 1000 + i * 1000;
  return {
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    span_id: (i + 1).toString(16).padStart(16, '0'),
    name: `tools/call read_file`,
    kind: 'SERVER',
    start_time: formatMicros(start),
    end_time: formatMicros(start + 500),
    status: { status_code: 'OK' },
    attributes: {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'read_file',
      'jsonrpc.request.id': i,
      'mcp.rpc.request_json': JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'read_file', arguments: { path: `/tmp/f${i}.txt` } } }),
      'mcp.rpc.response_json': JSON.stringify({ jsonrpc: '2.0', id: i, result: { content: [{ type: 'text', text: `contents of file ${i} `.repeat(20) }] } }),
    },
    ...extra,
  };
}

/** A fresh temp directory and its cleanup. */
export async function tempDir(prefix = 'store-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const SID = 'sess-abcdef-0001';

/** Repository root (test/store/../..). */
export const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Fails clearly when dist/ is older than src/ (child processes import it). The suite's
 * globalSetup builds once before any test; workers never run tsc.
 */
export function ensureBuilt(): void {
  assertDistFresh();
}
