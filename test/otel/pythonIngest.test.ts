import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayHandle } from '../../src/http/startGateway.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createSessionControl, type DiscoveringSessionControl } from '../../src/sessions/sessionControl.js';
import { connectInspector } from '../fixtures/traces/inspectorClient.js';
import { openSse } from '../http/sseClient.js';

const run = promisify(execFile);
const AGENT = resolve(__dirname, '..', 'fixtures', 'otel', 'py_agent.py');
const MODULES = 'import opentelemetry.sdk.trace, opentelemetry.exporter.otlp.proto.http.trace_exporter';

/**
 * A Python interpreter that has `opentelemetry-sdk` and `opentelemetry-exporter-otlp-proto-http`:
 * the system one when it has them, else a temporary virtual environment they are installed into
 * from the Python package index. Undefined, with the reason, when Python 3 is absent or the
 * packages cannot be installed (no network to the index).
 */
async function pythonWithOtel(root: string): Promise<{ python?: string; reason?: string }> {
  try {
    await run('python3', ['--version'], { timeout: 10_000 });
  } catch {
    return { reason: 'Python 3 is not installed' };
  }
  if (await run('python3', ['-c', MODULES], { timeout: 20_000 }).then(() => true, () => false)) return { python: 'python3' };
  const venv = join(root, 'venv');
  try {
    await run('python3', ['-m', 'venv', venv], { timeout: 60_000 });
    const python = join(venv, 'bin', 'python');
    await run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--retries', '0', '--timeout', '10', 'opentelemetry-sdk', 'opentelemetry-exporter-otlp-proto-http'], { timeout: 180_000 });
    await run(python, ['-c', MODULES], { timeout: 20_000 });
    return { python };
  } catch (err) {
    const detail = ((err as { stderr?: string }).stderr ?? String(err)).trim().split('\n').slice(-1)[0];
    return { reason: `could not install opentelemetry-sdk and opentelemetry-exporter-otlp-proto-http from the Python package index (${detail})` };
  }
}

describe('OTLP ingest from a Python agent (opentelemetry-sdk + opentelemetry-exporter-otlp-proto-http)', () => {
  let root: string;
  let dir: string;
  let python: string | undefined;
  let skipReason = '';
  let control: DiscoveringSessionControl;
  let gateway: GatewayHandle;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mcpscope-py-'));
    dir = join(root, 'traces');
    await mkdir(dir);
    const found = await pythonWithOtel(root);
    python = found.python;
    skipReason = found.reason ?? '';
    control = await createSessionControl({ tracesDir: dir, bus: createEventBus() });
    gateway = await startGateway({ host: '127.0.0.1', port: 0, tracesDir: dir, control, otlp: { idleMs: 300 }, log: () => undefined });
  }, 300_000);
  afterAll(async () => {
    await gateway?.close();
    await control?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('appears as a session, live on /events, with its parent/child structure in get_trace', async (ctx) => {
    if (!python) {
      process.stderr.write(`skipping the Python OTLP ingest test: ${skipReason}\n`);
      ctx.skip(`Python OTLP ingest: ${skipReason}`);
      return;
    }
    const sse = await openSse(`${gateway.url}/_inspector/events`);
    try {
      const { stdout } = await run(python, [AGENT], {
        timeout: 60_000,
        env: {
          ...process.env,
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${gateway.url}/v1/traces`,
          OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${gateway.token}`,
        },
      });
      const sessionId = `otlp-${stdout.trim()}`;
      const seen = () => sse.events.map((e) => JSON.parse(e.data) as { type: string; session_id: string; engine?: string });
      await sse.until(() => seen().some((e) => e.type === 'SessionFinished' && e.session_id === sessionId));
      expect(seen().find((e) => e.type === 'SessionStarted' && e.session_id === sessionId)?.engine).toBe('otlp');
      const conn = await connectInspector({ tracesDir: dir, watch: false });
      try {
        const tree = await conn.call('get_trace', { session_id: sessionId, view: 'tree' });
        const nodes = (tree.structuredContent as { nodes: Array<{ span_id: string; parent_span_id?: string; depth: number; name: string }> }).nodes;
        const rootNode = nodes.find((n) => n.name === 'agent run')!;
        expect(rootNode.depth).toBe(0);
        expect(nodes.find((n) => n.name === 'tools/call search')).toMatchObject({ parent_span_id: rootNode.span_id, depth: 1 });
        const list = await conn.call('list_sessions', {});
        expect((list.structuredContent as { sessions: Array<{ id: string; title: string }> }).sessions.find((r) => r.id === sessionId)?.title).toBe('py-agent');
      } finally {
        await conn.close();
      }
    } finally {
      sse.close();
    }
  }, 120_000);
});
