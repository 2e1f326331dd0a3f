import { InspectorError, describeError } from '../core/errors.js';
import type { SessionStatus } from '../core/session.js';
import { FINAL_STATUSES } from '../core/session.js';
import { durationMs, nowIso } from '../core/time.js';
import { applySignal } from './applySignal.js';
import type { EventBus } from './eventBus.js';
import type { LiveSession, LiveSessionOptions } from './liveSessionTypes.js';

/** Internal construction; use registerLiveSession. */
export function createLiveSession(options: LiveSessionOptions, bus: EventBus, heartbeatMs: number, log: (line: string) => void, onFinished: () => Promise<void>): LiveSession {
  const { sessionId, gate } = options;
  // One clock: the writer's start (its meta on disk) is the session's start in every view.
  const startedAt = options.startedAt ?? options.writer?.meta?.().started_at ?? nowIso();
  const stats = options.stats ?? (() => ({ requests: 0, toolCalls: 0, errors: 0, spans: 0 }));
  const listeners = new Set<() => void>();
  let ended: { status: SessionStatus; reason?: string; at: string } | undefined;
  let finishing: Promise<void> | undefined;
  let last = { ...stats() };
  let recorded = 'running//';

  const current = (): { status: SessionStatus; waiting_on?: string } => {
    if (ended) return { status: ended.status };
    const g = gate?.state();
    if (g?.held.some((h) => h.awaiting_approval)) return { status: 'paused', waiting_on: 'approve' };
    if (g?.paused) return { status: 'paused' };
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
  const changed = () => {
    record();
    for (const l of [...listeners]) {
      try {
        l();
      } catch (err) {
        log(`session ${sessionId}: change listener failed: ${describeError(err)}`);
      }
    }
  };
  const unsubscribeGate = gate?.onChange(changed);
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
      const g = gate?.state();
      return g ? { meta: session.meta(), gate: g } : { meta: session.meta() };
    },
    async signal(signal, payload) {
      if (ended) throw new InspectorError('SESSION_NOT_LIVE', `session ${sessionId} is not live: it ended ${ended.status}`);
      return applySignal(session, options, bus, signal, payload);
    },
    finish(status, reason) {
      if (!FINAL_STATUSES.has(status)) return Promise.reject(new InspectorError('INVALID_ARGUMENT', `finish needs a final status, got ${status}`));
      finishing ??= (async () => {
        clearInterval(heartbeat);
        gate?.cancelAll(`session ${status}${reason ? `: ${reason}` : ''}`);
        unsubscribeGate?.();
        ended = { status, at: nowIso(), ...(reason ? { reason } : {}) };
        changed();
        bus.publish({ type: 'SessionFinished', session_id: sessionId, status, ...(reason ? { reason } : {}), duration_ms: Math.max(0, durationMs(startedAt, ended.at)) });
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
