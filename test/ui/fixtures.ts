import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { REPO_ROOT } from '../distBuild.js';

/** The built CLI and the third-party MCP server the UI tests proxy to. */
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli.js');
export const EVERYTHING = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');

/** A finished session to put on disk before the gateway starts. */
export interface StoredSession {
  id: string;
  title: string;
  engine: 'proxy' | 'inbound' | 'client' | 'workflow' | 'otlp';
  status: 'completed' | 'failed' | 'cancelled';
  startedAt: Date;
  spans: number;
  errors?: number;
  reason?: string;
}

/** Writes finished sessions (meta + a one-member trace) as the store would have left them. */
export async function writeStoredSessions(tracesDir: string, sessions: StoredSession[]): Promise<void> {
  for (const s of sessions) {
    const started = s.startedAt.toISOString();
    const ended = new Date(s.startedAt.getTime() + 1500).toISOString();
    const meta = { id: s.id, title: s.title, engine: s.engine, status: s.status, started_at: started, ended_at: ended, duration_ms: 1500, span_count: s.spans, error_count: s.errors ?? 0, ...(s.reason ? { reason: s.reason } : {}) };
    const lines = Array.from({ length: s.spans }, (_, i) =>
      JSON.stringify({ trace_id: 'b'.repeat(32), span_id: (i + 1).toString(16).padStart(16, '0'), name: `tools/call t${i}`, kind: 'SERVER', start_time: started, end_time: ended, status: { status_code: 'OK' }, attributes: {} }),
    );
    await writeFile(join(tracesDir, `${s.id}.jsonl.gz`), gzipSync(Buffer.from(lines.map((l) => `${l}\n`).join(''))));
    await writeFile(join(tracesDir, `${s.id}.meta.json`), JSON.stringify(meta));
  }
}

/** A real MCP SDK client talking to server-everything through `mcpscope proxy` over stdio. */
export async function proxiedClient(tracesDir: string, sessionId: string, extraArgs: string[] = []): Promise<Client> {
  const client = new Client({ name: 'ui-test-client', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'proxy', '--traces-dir', tracesDir, '--session-id', sessionId, ...extraArgs, '--', process.execPath, EVERYTHING, 'stdio'],
      cwd: REPO_ROOT,
      stderr: 'ignore',
    }),
  );
  return client;
}
