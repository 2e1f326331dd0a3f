import { readFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMeta } from '../../src/store/metaFile.js';
import { metaFilePath } from '../../src/store/paths.js';
import { readTrace } from '../../src/store/traceReader.js';
import { toTraceSpan } from '../../src/otel/otelSpan.js';
import { createRedactor } from '../../src/instrumentation/redaction.js';
import type { SessionMeta } from '../../src/core/session.js';
import type { Span } from '../../src/core/span.js';
import { ensureBuilt } from '../store/storeTestKit.js';
import { CLI, EVERYTHING, ROOT, tempDir } from '../e2e/proxyHelpers.js';
import { until } from '../until.js';
import { deadEndpoint, startOtlpReceiver, type OtlpReceiver } from './otlpReceiver.js';

// Runs the built CLI's proxy in front of server-everything with OTLP export on.
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

/** The same conversation for every run; returns the answers (to compare runs). */
async function conversation(client: Client): Promise<unknown[]> {
  const progress: number[] = [];
  const answers: unknown[] = [];
  answers.push(await client.callTool({ name: 'echo', arguments: { message: 'hello otlp ✓' } }));
  answers.push(await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } }));
  answers.push(
    await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } }, CallToolResultSchema, { onprogress: (p) => progress.push(p.progress) }),
  );
  answers.push(await client.callTool({ name: 'get-sum', arguments: { a: 'not a number' } }).catch((err: Error) => ({ thrown: err.message })));
  // A client that traces (SEP-414): its span context rides in params._meta.
  answers.push(await client.callTool({ name: 'echo', arguments: { message: 'traced' }, _meta: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'vendor=1' } }));
  return answers;
}

interface Run {
  answers: unknown[];
  meta: SessionMeta;
  spans: Span[];
  stderr: string;
}

/** Proxies one conversation with `env` added, waits for the session's final meta. */
async function runProxy(tracesDir: string, sessionId: string, extraArgs: string[], env: Record<string, string>): Promise<Run> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'proxy', '--traces-dir', tracesDir, '--session-id', sessionId, ...extraArgs, '--', process.execPath, EVERYTHING, 'stdio'],
    cwd: ROOT,
    stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const client = new Client({ name: 'otlp-export-test', version: '1.0.0' });
  await client.connect(transport);
  const answers = await conversation(client);
  await client.close();
  const meta = await until(
    async () => {
      const m = parseMeta(await readFile(metaFilePath(tracesDir, sessionId), 'utf8').catch(() => ''));
      return m && m.ended_at !== undefined ? m : undefined;
    },
    'the session to end',
    { timeoutMs: 30_000 },
  );
  const { spans } = await readTrace(tracesDir, sessionId);
  return { answers, meta, spans, stderr };
}

const plain = createRedactor({ enabled: false });
const bySpanId = (a: Span, b: Span) => a.span_id.localeCompare(b.span_id);

/** list_sessions as an MCP client sees it, from `mcpscope serve` over stdio. */
async function listSessions(tracesDir: string): Promise<{ rows: Array<Record<string, unknown>>; text: string }> {
  const client = new Client({ name: 'list', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve', '--no-gateway', '--no-control', '--traces-dir', tracesDir], cwd: ROOT, stderr: 'pipe' }));
  try {
    const result = (await client.callTool({ name: 'list_sessions', arguments: {} })) as { content: Array<{ text?: string }>; structuredContent?: { sessions: Array<Record<string, unknown>> } };
    return { rows: result.structuredContent?.sessions ?? [], text: result.content.map((c) => c.text ?? '').join('\n') };
  } finally {
    await client.close();
  }
}

describe('proxy --otlp-endpoint (built CLI, server-everything, a local OTLP receiver)', () => {
  let receiver: OtlpReceiver | undefined;
  let dir: { path: string; cleanup: () => Promise<void> } | undefined;
  beforeAll(() => ensureBuilt());
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
    await dir?.cleanup();
    dir = undefined;
  });

  it('sends every recorded span over OTLP/protobuf with ids, parents, attributes, events and status equal to the trace file', async () => {
    receiver = await startOtlpReceiver();
    dir = await tempDir();
    const run = await runProxy(dir.path, 'otlp-export-proto', ['--otlp-endpoint', receiver.url], { OTEL_SERVICE_NAME: 'e2e-agent', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,team=a%2Cb' });
    expect(run.meta.otlp_dropped).toBeUndefined();
    expect(run.spans.length).toBeGreaterThanOrEqual(6);
    // Everything was delivered before the proxy let the session end.
    const got = receiver.spans();
    expect(got.map((d) => toTraceSpan(d, plain)).sort(bySpanId)).toEqual([...run.spans].sort(bySpanId));
    expect(receiver.received.every((r) => r.path === '/v1/traces' && r.headers['content-type'] === 'application/x-protobuf')).toBe(true);
    expect(got[0]!.resource).toEqual(expect.objectContaining({ 'service.name': 'e2e-agent', 'deployment.environment': 'test', team: 'a,b' }));
    // The long-running call's progress notifications are events of its span.
    const long = run.spans.find((s) => s.attributes['gen_ai.tool.name'] === 'trigger-long-running-operation')!;
    expect(long.events?.map((e) => e.name)).toEqual(['notifications/progress', 'notifications/progress']);
    const failed = run.spans.find((s) => s.status.status_code === 'ERROR');
    expect(failed).toBeDefined();
    expect(run.stderr).toMatch(/exporting spans over OTLP \(http\/protobuf\) to http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
  }, 90_000);

  it('joins the client\'s trace when a request carries _meta.traceparent, and starts its own trace otherwise', async () => {
    receiver = await startOtlpReceiver();
    dir = await tempDir();
    const run = await runProxy(dir.path, 'otlp-export-traceparent', ['--otlp-endpoint', receiver.url], {});
    const calls = run.spans.filter((s) => s.name.startsWith('tools/call'));
    const traced = calls.find((s) => s.attributes['mcp.rpc.request_json']?.toString().includes('"traced"'))!;
    expect(traced.trace_id).toBe(CLIENT_TRACE);
    expect(traced.parent_span_id).toBe(CLIENT_SPAN);
    const untraced = calls.filter((s) => s !== traced);
    expect(untraced.length).toBe(4);
    const own = new Set(untraced.map((s) => s.trace_id));
    expect(own.size).toBe(1);
    expect(own.has(CLIENT_TRACE)).toBe(false);
    expect(untraced.every((s) => s.parent_span_id === undefined)).toBe(true);
    // The collector sees the same: our span is a child of the client's.
    await until(() => receiver!.spans().some((d) => d.spanId === traced.span_id), 'the traced span to arrive');
    const sent = receiver.spans().find((d) => d.spanId === traced.span_id)!;
    expect([sent.traceId, sent.parentSpanId]).toEqual([CLIENT_TRACE, CLIENT_SPAN]);
  }, 90_000);

  it('speaks OTLP/JSON with the configured headers when OTEL_EXPORTER_OTLP_PROTOCOL=http/json (endpoint from the environment)', async () => {
    receiver = await startOtlpReceiver();
    dir = await tempDir();
    const run = await runProxy(dir.path, 'otlp-export-json', [], {
      OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/base/`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret%20key,x-team=obs',
    });
    expect(receiver.received.length).toBeGreaterThan(0);
    for (const r of receiver.received) {
      expect(r.path).toBe('/base/v1/traces');
      expect(r.headers['content-type']).toBe('application/json');
      expect([r.headers['x-api-key'], r.headers['x-team']]).toEqual(['secret key', 'obs']);
    }
    expect(receiver.spans().map((d) => toTraceSpan(d, plain)).sort(bySpanId)).toEqual([...run.spans].sort(bySpanId));
    expect(run.spans.length).toBeGreaterThanOrEqual(6);
  }, 90_000);

  it('with the receiver down: the same answers, every span in the file, the drops counted in the meta, in list_sessions and on stderr', async () => {
    dir = await tempDir();
    const baseline = await runProxy(dir.path, 'otlp-export-baseline', [], {});
    const run = await runProxy(dir.path, 'otlp-export-down', ['--otlp-endpoint', await deadEndpoint()], { OTEL_EXPORTER_OTLP_TIMEOUT: '2000' });
    expect(run.answers).toEqual(baseline.answers);
    expect(run.meta.status).toBe(baseline.meta.status);
    expect(run.spans.length).toBe(baseline.spans.length);
    expect(run.meta.otlp_dropped).toBe(run.spans.length);
    expect(run.stderr).toMatch(/otlp export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces: \d+ spans? dropped \(.+\); \d+ in total/);
    const { rows, text } = await listSessions(dir.path);
    expect(text).toMatch(new RegExp(`otlp-export-down \\|.*\\(${run.spans.length} spans not exported over OTLP\\)`));
    expect(rows.find((r) => r.id === 'otlp-export-down')).toEqual(expect.objectContaining({ otlp_dropped: run.spans.length }));
    expect(rows.find((r) => r.id === 'otlp-export-baseline')).not.toHaveProperty('otlp_dropped');
  }, 120_000);

  it('with a receiver that answers slowly: the same answers, the session ends within the export timeout, what did not make it is counted', async () => {
    receiver = await startOtlpReceiver({ delayMs: 60_000 });
    dir = await tempDir();
    const baseline = await runProxy(dir.path, 'otlp-slow-baseline', [], {});
    const started = Date.now();
    const run = await runProxy(dir.path, 'otlp-export-slow', ['--otlp-endpoint', receiver.url], { OTEL_EXPORTER_OTLP_TIMEOUT: '1500' });
    expect(run.answers).toEqual(baseline.answers);
    expect(run.spans.length).toBe(baseline.spans.length);
    // Nothing was confirmed by the receiver, so every span counts as dropped; the wait was bounded by the timeout, not the receiver's minute.
    expect(run.meta.otlp_dropped).toBe(run.spans.length);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(receiver.requests).toBeGreaterThan(0);
  }, 120_000);
});
