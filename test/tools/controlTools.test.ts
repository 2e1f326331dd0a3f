import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createLiveSessionRegistry, registerLiveSession, type LiveSessionRegistry } from '../../src/sessions/liveSessionRegistry.js';
import { createRequestGate } from '../../src/sessions/requestGate.js';
import { createLocalSessionControl, type SessionControl } from '../../src/sessions/sessionControl.js';
import { createTraceWriter, type TraceWriter } from '../../src/store/traceWriter.js';
import { connectInspector, textOf, type InspectorConnection } from '../fixtures/traces/inspectorClient.js';
import { fixtureSpan, tempTracesDir, writeFixtureTrace } from '../fixtures/traces/generateTrace.js';

describe('steering tools', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let registry: LiveSessionRegistry;
  let control: SessionControl;
  let writer: TraceWriter;
  let conn: InspectorConnection;
  let readOnly: InspectorConnection;
  const LIVE = 'live-workflow-01';

  beforeAll(async () => {
    ({ dir, cleanup } = await tempTracesDir());
    await writeFixtureTrace({ tracesDir: dir, sessionId: 'finished-session', spans: 5 });
    const bus = createEventBus();
    registry = createLiveSessionRegistry({ bus });
    writer = createTraceWriter({ tracesDir: dir, sessionId: LIVE, title: 'live workflow', engine: 'workflow' });
    writer.write(fixtureSpan(LIVE, 0, {}));
    await writer.flush();
    await registerLiveSession(registry, {
      sessionId: LIVE,
      title: 'live workflow',
      engine: 'workflow',
      writer,
      gate: createRequestGate({ bus, sessionId: LIVE }),
      cancel: async () => undefined,
      onSignal: (signal, payload) => (signal === 'human_input_answer' ? `answer received: ${JSON.stringify(payload)}` : undefined),
    });
    control = createLocalSessionControl({ registry });
    conn = await connectInspector({ tracesDir: dir, control, watch: false });
    readOnly = await connectInspector({ tracesDir: dir, watch: false });
  });
  afterAll(async () => {
    await conn?.close();
    await readOnly?.close();
    await control?.close();
    await registry?.close();
    await writer?.close();
    await cleanup?.();
  });

  it('declares the right annotations', async () => {
    const { tools } = await conn.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ['list_sessions', 'get_trace', 'get_span', 'search_spans']) expect(byName.get(name)?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get('cancel_workflow')?.annotations?.destructiveHint).toBe(true);
    expect(byName.get('pause_workflow')?.annotations?.readOnlyHint).toBe(false);
    for (const t of tools) expect(t.outputSchema).toBeTruthy();
  });

  it('pauses and resumes a live session, and list_sessions shows the live status', async () => {
    const paused = await conn.call('pause_workflow', { session_id: LIVE, reason: 'look closer' });
    expect(paused.isError).toBeFalsy();
    expect(paused.structuredContent).toMatchObject({ session_id: LIVE, signal: 'pause', status: 'paused' });
    const list = await conn.call('list_sessions', { status: 'paused' });
    expect((list.structuredContent as { sessions: Array<{ id: string }> }).sessions.map((s) => s.id)).toEqual([LIVE]);
    const resumed = await conn.call('resume_workflow', { session_id: LIVE });
    expect(resumed.structuredContent).toMatchObject({ signal: 'resume', status: 'running' });
  });

  it('delivers signals with payloads and reports unexpected ones as tool errors', async () => {
    const answered = await conn.call('send_signal', { session_id: LIVE, signal: 'human_input_answer', payload: { answer: 'yes' } });
    expect(answered.isError).toBeFalsy();
    expect(textOf(answered)).toContain('answer received: {"answer":"yes"}');
    const approve = await conn.call('send_signal', { session_id: LIVE, signal: 'approve' });
    expect(approve.isError).toBe(true);
    expect(textOf(approve)).toMatch(/SIGNAL_NOT_EXPECTED/);
    const unknown = await conn.call('send_signal', { session_id: LIVE, signal: 'make_coffee' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/UNKNOWN_SIGNAL|SIGNAL_NOT_EXPECTED/);
  });

  it('refuses finished, unknown and malformed sessions with clear errors', async () => {
    const finished = await conn.call('pause_workflow', { session_id: 'finished-session' });
    expect(finished.isError).toBe(true);
    expect(textOf(finished)).toMatch(/SESSION_NOT_LIVE.*completed/);
    const unknown = await conn.call('resume_workflow', { session_id: 'finished-sessio' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/SESSION_NOT_FOUND.*Did you mean: finished-session/);
    const malformed = await conn.call('cancel_workflow', { session_id: 'bad id!' });
    expect(malformed.isError).toBe(true);
    expect(textOf(malformed)).toMatch(/INVALID_SESSION_ID/);
  });

  it('says so when the server has no live control', async () => {
    const result = await readOnly.call('pause_workflow', { session_id: LIVE });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/UNAVAILABLE.*without live-session control/);
  });

  it('cancels a live session; it is not live afterwards', async () => {
    const cancelled = await conn.call('cancel_workflow', { session_id: LIVE, reason: 'test over' });
    expect(cancelled.isError).toBeFalsy();
    expect(cancelled.structuredContent).toMatchObject({ signal: 'cancel', status: 'cancelled' });
    const again = await conn.call('pause_workflow', { session_id: LIVE });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/SESSION_NOT_LIVE/);
  });
});
