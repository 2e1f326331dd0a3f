import { describeError } from '../core/errors.js';
import { FINAL_STATUSES, type Engine, type SessionStatus } from '../core/session.js';
import type { LiveSession, LiveSessionStats, StatusWriter } from './liveSessionTypes.js';
import type { LiveSessionRegistry } from './liveSessionRegistry.js';
import type { ControlledGate } from './gateTypes.js';
import { startLiveSession } from './startLiveSession.js';

/** What attachLiveControl needs of a proxy session (ProxyHandle fits). */
export interface SteerableSession {
  sessionId: string;
  title: string;
  /** Settles when the session ends; never rejects. */
  done: Promise<{ status: SessionStatus; reason?: string }>;
  cancel(reason?: string): Promise<void>;
  stats(): { fromClient: number; recorded?: LiveSessionStats };
}

/** Options of {@link attachLiveControl}. */
export interface AttachLiveControlOptions {
  registry: LiveSessionRegistry;
  /** The gate given to the proxy (createRequestGate with the same session id). */
  gate?: ControlledGate;
  /** The session's trace writer: status changes (paused, waiting_on approve) go to its meta. */
  writer?: StatusWriter;
  /** Default 'proxy'. */
  engine?: Engine;
  log?: (line: string) => void;
}

/**
 * Makes a running proxy session live: registers it (SessionStarted, heartbeats from its
 * recorder's counters, a control socket when the registry has a tracesDir), lets signals steer
 * it through `gate` and `cancel`, and finishes it with the proxy's final status when `done`
 * settles. Resolves once the control endpoint is listening.
 */
export async function attachLiveControl(session: SteerableSession, options: AttachLiveControlOptions): Promise<LiveSession> {
  const log = options.log ?? (() => undefined);
  const live = await startLiveSession({
    // The proxy records its own traffic: the live session only steers it and reports its status.
    tracesDir: options.registry.tracesDir ?? '',
    record: false,
    registry: options.registry,
    sessionId: session.sessionId,
    title: session.title,
    engine: options.engine ?? 'proxy',
    ...(options.gate ? { gate: options.gate } : {}),
    ...(options.writer ? { writer: options.writer } : {}),
    log,
    cancel: (reason) => session.cancel(reason),
    stats: () => {
      const s = session.stats();
      return s.recorded ?? { requests: s.fromClient, toolCalls: 0, errors: 0, spans: 0 };
    },
  });
  void session.done.then(
    (result) => {
      // The recording has closed by now: its verdict (e.g. `failed` for tool errors) is the final word.
      const recorded = options.writer?.meta?.();
      const final = recorded && FINAL_STATUSES.has(recorded.status) ? recorded : result;
      return live.finish(final.status, final.reason);
    },
    (err: unknown) => live.finish('failed', describeError(err)),
  ).catch((err: unknown) => log(`session ${session.sessionId}: ${describeError(err)}`));
  return live;
}
