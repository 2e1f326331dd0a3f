import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSessionCatalog, type SessionCatalog } from '../../src/catalog/sessionCatalog.js';
import type { SessionEvent } from '../../src/core/events.js';
import { startGateway, type GatewayHandle } from '../../src/http/startGateway.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createSessionControl, type DiscoveringSessionControl } from '../../src/sessions/sessionControl.js';
import { createSessionIndex } from '../../src/store/sessionIndex.js';
import { readMetaFile } from '../../src/store/metaFile.js';
import { readTrace } from '../../src/store/traceReader.js';
import { assertDistFresh, REPO_ROOT } from '../distBuild.js';
import { startLiveChild, stopChild, type LiveChild } from '../sessions/helpers/liveChild.js';
import { until } from '../until.js';
import { openSse, type SseClient } from '../http/sseClient.js';

/** The example workflow as a child process: what `serve` sees of a workflow in another process. */
interface WorkflowChild {
  proc: ChildProcess;
  sessionId: string;
  stderr(): string;
  exited: Promise<number | null>;
}

async function startWorkflow(tracesDir: string, title: string): Promise<WorkflowChild> {
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'examples', 'workflow.mjs'), '--traces-dir', tracesDir, '--title', title], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const sessionId = await until(() => /^session (\S+)$/m.exec(stderr)?.[1] ?? (proc.exitCode !== null ? Promise.reject(new Error(`workflow exited: ${stderr}`)) : undefined), 'the workflow to go live');
  return { proc, sessionId, stderr: () => stderr, exited };
}

let dir: string;
let control: DiscoveringSessionControl;
let catalog: SessionCatalog;
let gateway: GatewayHandle;
const events: SessionEvent[] = [];
const children: ChildProcess[] = [];
const liveChildren: LiveChild[] = [];

const get = async (path: string) => {
  const res = await request(`${gateway.url}${path}`);
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> };
};
const post = async (path: string, body: unknown) => {
  const res = await request(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway.token}` }, body: JSON.stringify(body) });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> };
};

beforeAll(() => assertDistFresh());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'insp-wf-'));
  control = await createSessionControl({ tracesDir: dir, bus: createEventBus(), rescanMs: 100 });
  control.bus.subscribe((e) => events.push(e));
  catalog = createSessionCatalog({ tracesDir: dir, control, index: createSessionIndex(dir), watch: false });
  gateway = await startGateway({ host: '127.0.0.1', port: 0, tracesDir: dir, control, catalog, log: () => undefined });
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of liveChildren.splice(0)) await stopChild(c);
  await gateway.close();
  await catalog.close();
  await control.close();
  events.length = 0;
  await rm(dir, { recursive: true, force: true });
});

describe('a workflow in another process, through serve', () => {
  it('shows its waiter over HTTP; an invalid payload is 400 and it keeps waiting; a valid one completes it', async () => {
    const sse: SseClient = await openSse(`${gateway.url}/_inspector/events`);
    const wf = await startWorkflow(dir, 'e2e plan');
    children.push(wf.proc);
    const liveEvents = () => sse.events.filter((e) => e.event === 'LiveStateChanged').map((e) => JSON.parse(e.data) as { session_id: string; live: { waiters: { signal: string }[] } });
    try {
      // The page's control panel re-renders from these, without polling.
      await sse.until(() => liveEvents().some((e) => e.session_id === wf.sessionId && e.live.waiters[0]?.signal === 'approve_plan'));
    } finally {
      sse.close();
    }
    const waiting = await until(async () => {
      const r = await get(`/_inspector/sessions/${wf.sessionId}`);
      return r.status === 200 && r.body.live?.waiters?.length === 1 && r.body;
    }, 'the waiter to show over HTTP');
    expect(waiting.session).toMatchObject({ id: wf.sessionId, title: 'e2e plan', engine: 'workflow', status: 'paused', waiting_on: 'approve_plan' });
    expect(waiting.live).toMatchObject({ paused: false, cancelled: false, held: [], waiters: [{ signal: 'approve_plan', prompt: expect.stringMatching(/Approve the plan/), schema: { required: ['approved'] } }] });
    // The events of the other process reach this one's bus.
    await until(() => events.some((e) => e.session_id === wf.sessionId && e.type === 'WaitingOnSignal' && e.signal === 'approve_plan'), 'WaitingOnSignal from the child');
    await until(() => events.some((e) => e.session_id === wf.sessionId && e.type === 'LiveStateChanged' && e.live.waiters.length === 1), 'LiveStateChanged from the child');

    const bad = await post(`/_inspector/signal/${wf.sessionId}`, { signal: 'approve_plan', payload: { approved: true, budget: 101 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: "invalid payload for signal 'approve_plan': /budget: must be <= 100" });
    const extra = await post(`/_inspector/signal/${wf.sessionId}`, { signal: 'approve_plan', payload: { approved: true, note: 'x' } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/additional properties \('note'\)/);
    const still = await get(`/_inspector/sessions/${wf.sessionId}`);
    expect(still.body.live.waiters).toHaveLength(1);
    expect(wf.proc.exitCode).toBeNull();

    const ok = await post(`/_inspector/signal/${wf.sessionId}`, { signal: 'approve_plan', payload: { approved: true, budget: 40 } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ session_id: wf.sessionId, signal: 'approve_plan', message: expect.stringMatching(/delivered/) });
    expect(await wf.exited).toBe(0);
    expect(wf.stderr()).toMatch(/finished completed/);

    const meta = await readMetaFile(join(dir, `${wf.sessionId}.meta.json`));
    expect(meta).toMatchObject({ status: 'completed', engine: 'workflow', span_count: 5, error_count: 0 });
    const { spans } = await readTrace(dir, wf.sessionId);
    const byName = new Map(spans.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual(['fetch rows', 'import rows', 'plan import', 'validate rows', 'wait for approval']);
    expect(byName.get('fetch rows')!.parent_span_id).toBe(byName.get('plan import')!.span_id);
    expect(byName.get('wait for approval')!.attributes['mcp.result.answer_json']).toBe('{"approved":true,"budget":40}');
    expect(byName.get('import rows')!.attributes['import.budget']).toBe(40);

    const done = await until(async () => {
      const r = await get(`/_inspector/sessions/${wf.sessionId}`);
      return r.body.session?.status === 'completed' && r.body;
    }, 'the finished session over HTTP');
    expect(done.live).toBeUndefined();
  });

  it('cancel over HTTP rejects the waiter: the workflow ends cancelled', async () => {
    const wf = await startWorkflow(dir, 'to cancel');
    children.push(wf.proc);
    await until(async () => (await get(`/_inspector/sessions/${wf.sessionId}`)).body.live?.waiters?.length === 1, 'the waiter');
    const res = await post(`/_inspector/cancel/${wf.sessionId}`, { reason: 'changed my mind' });
    expect(res.status).toBe(200);
    expect(await wf.exited).toBe(3);
    expect(await readMetaFile(join(dir, `${wf.sessionId}.meta.json`))).toMatchObject({ status: 'cancelled', reason: 'changed my mind' });
    const again = await post(`/_inspector/signal/${wf.sessionId}`, { signal: 'approve_plan', payload: { approved: true } });
    expect([404, 409]).toContain(again.status);
  });

  it('GET /_inspector/sessions/{id}: 404 naming close ids, 400 for a malformed id, no live state for a recorded session', async () => {
    const wf = await startWorkflow(dir, 'lookup');
    children.push(wf.proc);
    await until(async () => (await get(`/_inspector/sessions/${wf.sessionId}`)).body.live?.waiters?.length === 1, 'the waiter');
    const near = `${wf.sessionId.slice(0, -1)}${wf.sessionId.endsWith('0') ? '1' : '0'}`;
    const missing = await get(`/_inspector/sessions/${near}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('SESSION_NOT_FOUND');
    expect(missing.body.error.message).toContain(wf.sessionId);
    expect((await get('/_inspector/sessions/a%20b')).status).toBe(400);
    wf.proc.kill('SIGKILL');
    await wf.exited;
    const abandoned = await until(async () => {
      const r = await get(`/_inspector/sessions/${wf.sessionId}`);
      return r.body.session?.status === 'failed' && r.body;
    }, 'the killed workflow to read abandoned');
    expect(abandoned.session.reason).toBe('abandoned');
    expect(abandoned.live).toBeUndefined();
  });

  it("a proxy-style session's held requests show in the catalog and over HTTP, with kind, target and since", async () => {
    const child = await startLiveChild({ tracesDir: dir, sessionId: 'held-remote-1', breakOn: ['tools/call:delete_*'] });
    liveChildren.push(child);
    child.send({ op: 'admit', id: 3, method: 'tools/call', name: 'delete_x' });
    child.send({ op: 'pause' });
    child.send({ op: 'admit', id: 'r4', method: 'tools/call', name: 'echo' });
    await control.refresh();
    const live = await until(async () => {
      const d = await catalog.detail('held-remote-1');
      return d.live?.held.length === 2 && d.live;
    }, 'two held requests in the catalog');
    expect(live).toMatchObject({ paused: true, cancelled: false, waiters: [], held: [
      { id: 3, kind: 'request', method: 'tools/call', target: 'delete_x', awaiting_approval: true },
      { id: 'r4', kind: 'request', method: 'tools/call', target: 'echo', awaiting_approval: false },
    ] });
    expect(live.held[0]!.since).toMatch(/Z$/);
    const http = await get('/_inspector/sessions/held-remote-1');
    expect(http.body).toMatchObject({ session: { id: 'held-remote-1', status: 'paused', waiting_on: 'approve' }, live: { held: [{ id: 3 }, { id: 'r4' }] } });
    await control.signal('held-remote-1', 'approve', { request_id: 3 });
    await until(async () => (await catalog.detail('held-remote-1')).live?.held.length === 1, 'the approved request to leave the held list');
  });
});
