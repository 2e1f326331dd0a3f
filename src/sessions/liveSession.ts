import { InspectorError, describeError } from '../core/errors.js';
import type { LiveState } from '../core/liveState.js';
import type { SessionStatus } from '../core/session.js';
import { FINAL_STATUSES } from '../core/session.js';
import { durationMs, nowIso } from '../core/time.js';
import { applySignal } from './applySignal.js';
import type { EventBus } from './eventBus.js';
import { createLiveStateEvents } from './liveStateEvents.js';
import type { LiveSession, LiveSessionOptions } from './liveSessionTypes.js';
import { createSignalWaiters } from './signalWaiters.js';

let holdSeq = 0;

/** Internal construction; use startLiveSession (or registerLiveSession). */
export function createLiveSession(options: LiveSessionOptions, bus: EventBus, heartbeatMs: number, log: (line: string) => void, onFinished: () => Promise<void>): LiveSession {
  const { sessionId } = options;
  const queue = options.queue ?? options.gate?.queue;
  const waiters = createSignalWaiters({ bus, sessionId });
  // One clock: the writer's start (its meta on disk) is the session's start in every view.
  const startedAt = options.startedAt ?? options.writer?.meta?.().started_at ?? nowIso();
  const stats = options.stats ?? (() => ({ requests: 0, toolCalls: 0, errors: 0, spans: 0 }));
  const listeners = new Set<() => void>();
  let ended: { status: SessionStatus; reason?: string; at: string } | undefined;
  let finishing: Promise<void> | undefined;
  let last = { ...stats() };
  let recorded = 'running//';

  const live = (): LiveState => {
    const q = queue?.state();
    return { paused: q?.paused ?? false, cancelled: ended ? ended.status === 'cancelled' : (q?.cancelled ?? false), held: q?.held ?? [], waiters: waiters.list() };
  };
  const current = (): { status: SessionStatus; waiting_on?: string } => {
    if (ended) return { status: ended.status };
    const q = queue?.summary();
    if (q && q.awaitingApproval > 0) return { status: 'paused', waiting_on: 'approve' };
    const waiting = waiters.list()[0];
    if (waiting) return { status: 'paused', waiting_on: waiting.signal };
    if (q?.paused) return { status: 'paused' };
    return { status: 'running' };
  };
  const record = () => {
    const now = current();
    const key = `${now.status}/${now.waiting_on ?? ''}/${ended?.reason ?? ''}`;
    if (key === recorded) return;
    recorded = key;
    if (!options.writer) return;
    const extra = { ...(now.waiting_on ? { waiting_on: now.waiting_on } : {}), ...(ended?.reason ? { reason: ended.reason } : {}) };
    try {
      Promise.resolve(options.writer.setStatus(now.status, extra)).catch((err: unknown) => log(`session ${sessionId}: cannot record status: ${describeError(err)}`));
    } catch (err) {
      log(`session ${sessionId}: cannot record status: ${describeError(err)}`);
    }
  };
  const liveEvents = createLiveStateEvents(bus, sessionId, live);
  const changed = () => {
    record();
    liveEvents.changed();
    for (const l of [...listeners]) {
      try {
        l();
      } catch (err) {
        log(`session ${sessionId}: change listener failed: ${describeError(err)}`);
      }
    }
  };
  const unsubscribe = [queue?.onChange(changed), waiters.onChange(changed)];
  const heartbeat = setInterval(() => {
    const now = stats();
    const d = (a: number, b: number) => Math.max(0, a - b);
    bus.publish({ type: 'Heartbeat', session_id: sessionId, status: current().status, requests: d(now.requests, last.requests), tool_calls: d(now.toolCalls, last.toolCalls), errors: d(now.errors, last.errors), span_count: now.spans, error_count: now.errors });
    last = { ...now };
  }, Math.max(10, heartbeatMs));
  heartbeat.unref();

  const session: LiveSession = {
    sessionId,
    get finished() {
      return ended !== undefined;
    },
    meta() {
      const now = current();
      const s = stats();
      return {
        id: sessionId, title: options.title, engine: options.engine, status: now.status,
        ...(now.waiting_on ? { waiting_on: now.waiting_on } : {}),
        ...(ended?.reason ? { reason: ended.reason } : {}),
        started_at: startedAt,
        ...(ended ? { ended_at: ended.at, duration_ms: Math.max(0, durationMs(startedAt, ended.at)) } : {}),
        span_count: s.spans, error_count: s.errors,
        ...(options.tags ? { tags: options.tags } : {}),
        ...(ended ? {} : { pid: process.pid }),
      };
    },
    state() {
      const g = options.gate?.state();
      return g ? { meta: session.meta(), gate: g, live: live() } : { meta: session.meta(), live: live() };
    },
    live,
    waitForSignal(signal, opts) {
      if (ended) return Promise.reject(new InspectorError('SESSION_NOT_LIVE', `session ${sessionId} is not live: it ended ${ended.status}`));
      return waiters.wait(signal, opts);
    },
    async hold(item) {
      if (!queue) throw new InspectorError('SIGNAL_NOT_EXPECTED', `session ${sessionId} has no hold queue`);
      const pending = queue.admit({ ...item, id: item.id ?? `${item.kind}-${++holdSeq}` });
      if (!pending) return;
      const outcome = await pending;
      if (outcome.action === 'release') return;
      if (outcome.action === 'reject') {
        throw new InspectorError('CONFLICT', `${item.method} was rejected${outcome.reason ? `: ${outcome.reason}` : ''}`, { details: { outcome: 'rejected', ...(outcome.reason ? { reason: outcome.reason } : {}) } });
      }
      throw new InspectorError('SESSION_NOT_LIVE', `${item.method} was not run: ${outcome.reason}`, { details: { outcome: 'cancelled', reason: outcome.reason } });
    },
    async signal(signal, payload) {
      if (ended) throw new InspectorError('SESSION_NOT_LIVE', `session ${sessionId} is not live: it ended ${ended.status}`);
      return applySignal(session, { ...options, ...(queue ? { queue } : {}) }, bus, waiters, signal, payload);
    },
    finish(status, reason) {
      if (!FINAL_STATUSES.has(status)) return Promise.reject(new InspectorError('INVALID_ARGUMENT', `finish needs a final status, got ${status}`));
      finishing ??= (async () => {
        clearInterval(heartbeat);
        const why = `session ${status}${reason ? `: ${reason}` : ''}`;
        queue?.cancelAll(why);
        waiters.rejectAll(new InspectorError('SESSION_NOT_LIVE', `session ${sessionId} is not live: ${why}`));
        for (const off of unsubscribe) off?.();
        ended = { status, at: nowIso(), ...(reason ? { reason } : {}) };
        changed();
        liveEvents.flush();
        liveEvents.stop();
        const verdict = options.beforeFinished ? await options.beforeFinished(status, reason).catch((err: unknown) => log(`session ${sessionId}: ${describeError(err)}`)) : undefined;
        if (verdict && FINAL_STATUSES.has(verdict.status)) {
          ended = { status: verdict.status, at: ended.at, ...(verdict.reason ? { reason: verdict.reason } : {}) };
          recorded = `${verdict.status}//${verdict.reason ?? ''}`; // already on disk: not written again
        }
        bus.publish({ type: 'SessionFinished', session_id: sessionId, status: ended.status, ...(ended.reason ? { reason: ended.reason } : {}), duration_ms: Math.max(0, durationMs(startedAt, ended.at)) });
        await onFinished();
      })();
      return finishing;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
  bus.publish({ type: 'SessionStarted', session_id: sessionId, title: options.title, engine: options.engine });
  record();
  return session;
}
