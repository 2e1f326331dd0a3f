import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSessionControl, type SessionControl } from '../../src/sessions/sessionControl.js';
import { startLiveSession, type StartedLiveSession } from '../../src/sessions/startLiveSession.js';
import { connectInspector, textOf, type InspectorConnection } from '../fixtures/traces/inspectorClient.js';
import { tempTracesDir } from '../fixtures/traces/generateTrace.js';

describe('live state where a model looks (get_trace, the session resource)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let session: StartedLiveSession;
  let control: SessionControl;
  let conn: InspectorConnection;
  const ID = 'live-state-tools-1';
  const SCHEMA = { type: 'object', required: ['approved'], properties: { approved: { type: 'boolean' } } };

  beforeAll(async () => {
    ({ dir, cleanup } = await tempTracesDir());
    session = await startLiveSession({ tracesDir: dir, engine: 'workflow', title: 'tools view', sessionId: ID, breakOn: ['deploy'] });
    session.tracer.startSpan('prepare').end();
    await session.writer!.flush();
    control = createLocalSessionControl({ registry: session.registry });
    conn = await connectInspector({ tracesDir: dir, control, watch: false });
  });
  afterAll(async () => {
    await conn?.close();
    await control?.close();
    await session?.finish('completed');
    await cleanup?.();
  });

  it('get_trace names the waiter (signal, prompt, schema) and the held steps, with the signals that answer them', async () => {
    const answer = session.waitForSignal('approve_plan', { prompt: 'Approve the plan?', schema: SCHEMA });
    const step = session.hold({ kind: 'step', method: 'deploy', target: 'prod' });
    const result = await conn.call('get_trace', { session_id: ID });
    expect(result.isError).toBeFalsy();
    const text = textOf(result);
    expect(text).toMatch(/^Waiting on signal 'approve_plan' since .*: Approve the plan\?; payload schema \{"type":"object".*send_signal signal="approve_plan"/m);
    expect(text).toMatch(/Holding 1: deploy prod \(id "step-\d+", at a breakpoint\)\. Release with send_signal 'approve'\/'reject'/);
    expect(result.structuredContent).toMatchObject({ live: { waiters: [{ signal: 'approve_plan' }], held: [{ kind: 'step', method: 'deploy', target: 'prod', awaiting_approval: true }] } });

    const resource = await conn.client.readResource({ uri: `inspector://sessions/${ID}` });
    const json = JSON.parse((resource.contents[0] as { text: string }).text) as { meta: { status: string; waiting_on?: string }; live?: { waiters: unknown[]; held: unknown[] } };
    expect(json.meta).toMatchObject({ status: 'paused', waiting_on: 'approve' });
    expect(json.live?.waiters).toHaveLength(1);
    expect(json.live?.held).toHaveLength(1);

    await conn.call('send_signal', { session_id: ID, signal: 'approve' });
    await expect(step).resolves.toBeUndefined();
    const bad = await conn.call('send_signal', { session_id: ID, signal: 'approve_plan', payload: { approved: 'yes' } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/\/approved: must be boolean/);
    await conn.call('send_signal', { session_id: ID, signal: 'approve_plan', payload: { approved: true } });
    await expect(answer).resolves.toEqual({ approved: true });

    const idle = await conn.call('get_trace', { session_id: ID });
    expect(textOf(idle)).not.toMatch(/Waiting on signal|Holding/);
    expect(idle.structuredContent).not.toHaveProperty('live');
  });
});
