import { newSessionId, assertSessionId } from '../core/ids.js';
import type { Engine } from '../core/session.js';
import type { SpanSink } from '../core/spanSink.js';
import { createTracer, type Tracer } from '../instrumentation/tracer.js';
import { createTraceWriter, type TraceWriter } from '../store/traceWriter.js';
import { createEventBus, type EventBus } from './eventBus.js';
import type { ControlledGate } from './gateTypes.js';
import { createHoldQueue, type HoldQueue } from './holdQueue.js';
import { createLiveSessionRegistry, registerLiveSession, type LiveSessionRegistry } from './liveSessionRegistry.js';
import type { LiveSession, LiveSessionOptions, LiveSessionStats, StatusWriter } from './liveSessionTypes.js';

/** Options of {@link startLiveSession}. */
export interface StartLiveSessionOptions {
  /** Where the trace file and the control socket (under `live/`) go. */
  tracesDir: string;
  engine: Engine;
  title: string;
  /** Default a fresh id (newSessionId). */
  sessionId?: string;
  /** Breakpoint patterns `METHOD[:TARGET]`: matching holds wait for approve/reject. Throws INVALID_ARGUMENT for a malformed one. */
  breakOn?: string[];
  /** Handles `human_input_answer` and signals nobody waits on; returns a message, or undefined when it does not know the signal. */
  onSignal?: LiveSessionOptions['onSignal'];
  /** Heartbeat period. Default 3000 ms. */
  heartbeatMs?: number;
  /** Where problems are reported, one line each. Default: dropped. */
  log?: (line: string) => void;
  tags?: Record<string, string>;
  /**
   * Record the tracer's spans to `<tracesDir>/<id>.jsonl.gz` with a trace writer the session owns
   * (closed with the final status by `finish`). Default true; ignored when `writer` is given.
   */
  record?: boolean;
  /** A recording made elsewhere (the proxy's trace writer): status changes go to it; the session does not close it. */
  writer?: StatusWriter & Partial<Pick<SpanSink, 'write'>>;
  /** The JSON-RPC adapter (createRequestGate) whose queue is the session's hold queue; else a new queue. */
  gate?: ControlledGate;
  /** The bus events go to (the gate's, when given). Default a new bus. */
  bus?: EventBus;
  /** Registry to register in. Default a new one with a control socket under `tracesDir`. */
  registry?: LiveSessionRegistry;
  /** Stops the engine's work; called once by the `cancel` signal (waiters and held items are refused anyway). */
  cancel?: (reason: string) => Promise<void>;
  /** Running totals for heartbeats and meta. Default: the recording's span and error counts. */
  stats?: () => LiveSessionStats;
}

/** A started live session: steerable, with a tracer recording into its trace. */
export interface StartedLiveSession extends LiveSession {
  readonly tracer: Tracer;
  readonly queue: HoldQueue;
  readonly bus: EventBus;
  readonly registry: LiveSessionRegistry;
  /** The trace writer the session owns (undefined with `record: false` or a given `writer`). */
  readonly writer?: TraceWriter;
}

/**
 * Starts a live session, the one way for every engine (the proxy and workflows): records it
 * (a trace writer, unless one is given or `record` is false), registers it (SessionStarted,
 * heartbeats, a control socket so `mcpscope serve` lists and steers it), and gives it a hold
 * queue (pause, step, breakpoints), signal waiters and a tracer. Resolves once the control
 * socket listens. `finish` closes what the session owns. Throws INVALID_SESSION_ID,
 * INVALID_ARGUMENT (a bad pattern), CONFLICT (the id is live or recorded by another writer).
 */
export async function startLiveSession(options: StartLiveSessionOptions): Promise<StartedLiveSession> {
  const sessionId = options.sessionId === undefined ? newSessionId() : assertSessionId(options.sessionId);
  const log = options.log ?? (() => undefined);
  const bus = options.bus ?? options.registry?.bus ?? createEventBus();
  const queue = options.gate?.queue ?? createHoldQueue({ bus, sessionId, breakOn: options.breakOn ?? [], noun: options.engine === 'proxy' ? 'request' : 'item' });
  const registry = options.registry ?? createLiveSessionRegistry({ bus, tracesDir: options.tracesDir, log, ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}) });
  const owned = options.writer || options.record === false
    ? undefined
    : createTraceWriter({ tracesDir: options.tracesDir, sessionId, title: options.title, engine: options.engine, ...(options.tags ? { tags: options.tags } : {}), onError: (err) => log(`trace: ${err.message}`) });
  const writer: (StatusWriter & Partial<Pick<SpanSink, 'write'>>) | undefined = options.writer ?? owned;
  const sink = writer?.write ? { write: writer.write.bind(writer) } : { write: () => undefined };
  const tracer = createTracer({ sink, sessionId });
  const stats = options.stats ?? (() => {
    const m = writer?.meta?.();
    return { requests: 0, toolCalls: 0, errors: m?.error_count ?? 0, spans: m?.span_count ?? tracer.spansEnded };
  });

  let session: LiveSession;
  try {
    session = await registerLiveSession(registry, {
      sessionId, title: options.title, engine: options.engine, stats,
      ...(options.gate ? { gate: options.gate } : { queue }),
      ...(writer ? { writer } : {}),
      ...(options.onSignal ? { onSignal: options.onSignal } : {}),
      ...(options.cancel ? { cancel: options.cancel } : {}),
      ...(options.tags ? { tags: options.tags } : {}),
      beforeFinished: async (status, reason) => {
        if (!owned) return;
        // Let the refused waiters' and holds' handlers run first: the spans they end belong in the trace.
        await new Promise((resolve) => setImmediate(resolve));
        await owned.close(reason === undefined ? { status } : { status, reason });
        const final = owned.meta();
        return final.reason === undefined ? { status: final.status } : { status: final.status, reason: final.reason };
      },
    });
  } catch (err) {
    await owned?.close({ status: 'failed', reason: 'not started' }).catch(() => undefined);
    throw err;
  }
  // The registry holds no resources of its own: the session's finish closes its control socket.
  return Object.assign(session, { tracer, queue, bus, registry, ...(owned ? { writer: owned } : {}) });
}
