import { InspectorError, describeError } from '../core/errors.js';
import { Listeners } from '../core/listeners.js';
import type { LiveState } from '../core/liveState.js';
import type { SessionStatus } from '../core/session.js';
import { FINAL_STATUSES } from '../core/session.js';
import { durationMs, nowIso } from '../core/time.js';
import { applySignal } from './applySignal.js';
import type { EventBus } from './eventBus.js';
import { createLiveStateEvents } from './liveStateEvents.js';
import type { LiveSession, LiveSessionOptions } from './liveSessionTypes.js';
import { createSignalWaiters, type SignalWaiters } from './signalWaiters.js';
import type { HoldQueue } from './holdQueue.js';

let holdSeq = 0;

/** Internal construction; use startLiveSession (or registerLiveSession). */
export function createLiveSession(options: LiveSessionOptions, bus: EventBus, heartbeatMs: number, log: (line: string) => void, onFinished: () => Promise<void>): LiveSession {
  return new EngineLiveSession(options, bus, heartbeatMs, log, onFinished);
}

type Ended = { status: SessionStatus; reason?: string; at: string };

/** Public methods are arrow fields: callers may take them off the session. */
class EngineLiveSession implements LiveSession {
  readonly sessionId: string;
  private readonly queue: HoldQueue | undefined;
  private readonly waiters: SignalWaiters;
  private readonly startedAt: string;
  private readonly stats: () => { requests: number; toolCalls: number; errors: number; spans: number };
  private readonly listeners: Listeners<void>;
  private readonly liveEvents: ReturnType<typeof createLiveStateEvents>;
  private readonly unsubscribe: ((() => void) | undefined)[];
  private readonly heartbeat: NodeJS.Timeout;
  private ended: Ended | undefined;
  private finishing: Promise<void> | undefined;
  private recorded = 'running//';

  constructor(
    private readonly options: LiveSessionOptions,
    private readonly bus: EventBus,
    heartbeatMs: number,
    private readonly log: (line: string) => void,
    private readonly onFinished: () => Promise<void>,
  ) {
    this.sessionId = options.sessionId;
    this.queue = options.queue ?? options.gate?.queue;
    this.waiters = createSignalWaiters({ bus, sessionId: this.sessionId });
    // One clock: the writer's start (its meta on disk) is the session's start in every view.
    this.startedAt = options.startedAt ?? options.writer?.meta?.().started_at ?? nowIso();
    this.stats = options.stats ?? (() => ({ requests: 0, toolCalls: 0, errors: 0, spans: 0 }));
    this.listeners = new Listeners<void>((err) => log(`session ${this.sessionId}: change listener failed: ${describeError(err)}`));
    this.liveEvents = createLiveStateEvents(bus, this.sessionId, this.live);
    const changed = () => this.changed();
    this.unsubscribe = [this.queue?.onChange(changed), this.waiters.onChange(changed)];
    this.heartbeat = this.startHeartbeat(heartbeatMs);
    bus.publish({ type: 'SessionStarted', session_id: this.sessionId, title: options.title, engine: options.engine });
    this.record();
  }

  get finished(): boolean {
    return this.ended !== undefined;
  }

  readonly meta = (): ReturnType<LiveSession['meta']> => {
    const { options, ended, startedAt } = this;
    const now = this.current();
    const s = this.stats();
    return {
      id: this.sessionId, title: options.title, engine: options.engine, status: now.status,
      ...(now.waiting_on ? { waiting_on: now.waiting_on } : {}),
      ...(ended?.reason ? { reason: ended.reason } : {}),
      started_at: startedAt,
      ...(ended ? { ended_at: ended.at, duration_ms: Math.max(0, durationMs(startedAt, ended.at)) } : {}),
      span_count: s.spans, error_count: s.errors,
      ...(options.tags ? { tags: options.tags } : {}),
      ...(ended ? {} : { pid: process.pid }),
    };
  };

  readonly state = (): ReturnType<LiveSession['state']> => {
    const g = this.options.gate?.state();
    return g ? { meta: this.meta(), gate: g, live: this.live() } : { meta: this.meta(), live: this.live() };
  };

  readonly live = (): LiveState => {
    const q = this.queue?.state();
    const cancelled = this.ended ? this.ended.status === 'cancelled' : (q?.cancelled ?? false);
    return { paused: q?.paused ?? false, cancelled, held: q?.held ?? [], waiters: this.waiters.list() };
  };

  readonly waitForSignal: LiveSession['waitForSignal'] = (signal, opts) => {
    if (this.ended) return Promise.reject(this.notLive(`it ended ${this.ended.status}`));
    return this.waiters.wait(signal, opts);
  };

  readonly hold: LiveSession['hold'] = async (item) => {
    if (!this.queue) throw new InspectorError('SIGNAL_NOT_EXPECTED', `session ${this.sessionId} has no hold queue`);
    const pending = this.queue.admit({ ...item, id: item.id ?? `${item.kind}-${++holdSeq}` });
    if (!pending) return;
    const outcome = await pending;
    if (outcome.action === 'release') return;
    if (outcome.action === 'reject') {
      throw new InspectorError('CONFLICT', `${item.method} was rejected${outcome.reason ? `: ${outcome.reason}` : ''}`, { details: { outcome: 'rejected', ...(outcome.reason ? { reason: outcome.reason } : {}) } });
    }
    throw new InspectorError('SESSION_NOT_LIVE', `${item.method} was not run: ${outcome.reason}`, { details: { outcome: 'cancelled', reason: outcome.reason } });
  };

  readonly signal: LiveSession['signal'] = async (signal, payload) => {
    if (this.ended) throw this.notLive(`it ended ${this.ended.status}`);
    return applySignal(this, { ...this.options, ...(this.queue ? { queue: this.queue } : {}) }, this.bus, this.waiters, signal, payload);
  };

  readonly finish: LiveSession['finish'] = (status, reason) => {
    if (!FINAL_STATUSES.has(status)) return Promise.reject(new InspectorError('INVALID_ARGUMENT', `finish needs a final status, got ${status}`));
    this.finishing ??= this.runFinish(status, reason);
    return this.finishing;
  };

  readonly onChange = (listener: () => void): (() => void) => this.listeners.add(listener);

  private notLive(why: string): InspectorError {
    return new InspectorError('SESSION_NOT_LIVE', `session ${this.sessionId} is not live: ${why}`);
  }

  private async runFinish(status: SessionStatus, reason: string | undefined): Promise<void> {
    clearInterval(this.heartbeat);
    const why = `session ${status}${reason ? `: ${reason}` : ''}`;
    this.queue?.cancelAll(why);
    this.waiters.rejectAll(this.notLive(why));
    for (const off of this.unsubscribe) off?.();
    this.ended = { status, at: nowIso(), ...(reason ? { reason } : {}) };
    this.changed();
    this.liveEvents.flush();
    this.liveEvents.stop();
    await this.applyVerdict(status, reason);
    const ended = this.ended;
    this.bus.publish({ type: 'SessionFinished', session_id: this.sessionId, status: ended.status, ...(ended.reason ? { reason: ended.reason } : {}), duration_ms: Math.max(0, durationMs(this.startedAt, ended.at)) });
    await this.onFinished();
  }

  /** Lets `beforeFinished` restate the final status (it has written it to disk already). */
  private async applyVerdict(status: SessionStatus, reason: string | undefined): Promise<void> {
    if (!this.options.beforeFinished) return;
    const verdict = await this.options.beforeFinished(status, reason).catch((err: unknown) => this.log(`session ${this.sessionId}: ${describeError(err)}`));
    if (!verdict || !FINAL_STATUSES.has(verdict.status)) return;
    this.ended = { status: verdict.status, at: this.ended!.at, ...(verdict.reason ? { reason: verdict.reason } : {}) };
    this.recorded = `${verdict.status}//${verdict.reason ?? ''}`; // already on disk: not written again
  }

  private startHeartbeat(heartbeatMs: number): NodeJS.Timeout {
    let last = { ...this.stats() };
    const heartbeat = setInterval(() => {
      const now = this.stats();
      const d = (a: number, b: number) => Math.max(0, a - b);
      this.bus.publish({ type: 'Heartbeat', session_id: this.sessionId, status: this.current().status, requests: d(now.requests, last.requests), tool_calls: d(now.toolCalls, last.toolCalls), errors: d(now.errors, last.errors), span_count: now.spans, error_count: now.errors });
      last = { ...now };
    }, Math.max(10, heartbeatMs));
    heartbeat.unref();
    return heartbeat;
  }

  private current(): { status: SessionStatus; waiting_on?: string } {
    if (this.ended) return { status: this.ended.status };
    const q = this.queue?.summary();
    if (q && q.awaitingApproval > 0) return { status: 'paused', waiting_on: 'approve' };
    const waiting = this.waiters.list()[0];
    if (waiting) return { status: 'paused', waiting_on: waiting.signal };
    if (q?.paused) return { status: 'paused' };
    return { status: 'running' };
  }

  /** Writes the status to the session's meta when it changed. */
  private record(): void {
    const now = this.current();
    const reason = this.ended?.reason;
    const key = `${now.status}/${now.waiting_on ?? ''}/${reason ?? ''}`;
    if (key === this.recorded) return;
    this.recorded = key;
    const writer = this.options.writer;
    if (!writer) return;
    const extra = { ...(now.waiting_on ? { waiting_on: now.waiting_on } : {}), ...(reason ? { reason } : {}) };
    const fail = (err: unknown) => this.log(`session ${this.sessionId}: cannot record status: ${describeError(err)}`);
    try {
      Promise.resolve(writer.setStatus(now.status, extra)).catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  private changed(): void {
    this.record();
    this.liveEvents.changed();
    this.listeners.emit();
  }
}
