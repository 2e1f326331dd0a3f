import { collapseRepeats, type CollapsingLog } from '../core/collapseRepeats.js';
import { describeError } from '../core/errors.js';
import { createTraceWriter, type TraceWriter } from '../store/traceWriter.js';
import { attachLiveControl, type SteerableSession } from './attachLiveControl.js';
import { createEventBus } from './eventBus.js';
import type { LiveSession, StatusWriter } from './liveSessionTypes.js';
import { createLiveSessionRegistry, type LiveSessionRegistry } from './liveSessionRegistry.js';
import type { ControlledGate } from './gateTypes.js';
import { createRequestGate } from './requestGate.js';

/** The live-control side of one proxy session (a stdio proxy process, or one `--listen` client). */
export interface ProxySteering {
  readonly sessionId: string;
  /** Give this to startProxy({ gate }). */
  readonly gate: ControlledGate;
  readonly registry: LiveSessionRegistry;
  /**
   * Opens the session's trace writer (engine `proxy`), for the recording's sink (recordTo): the
   * steering keeps it, so the live session's status changes (paused, waiting_on) reach its meta.
   * Write errors go to the log, repeats collapsed into a count.
   */
  openTraceWriter(info: { sessionId: string; title: string }): TraceWriter;
  /**
   * Starts the live session of the started proxy session (startLiveSession), registered under
   * `<tracesDir>/live/` so `serve` can steer it. `writer` defaults to the one openTraceWriter opened. Never rejects.
   */
  attach(session: SteerableSession, writer?: StatusWriter): Promise<void>;
  /** Finishes the live session if still live and removes its control socket. Idempotent. */
  close(): Promise<void>;
}

/**
 * Everything a proxy session needs to be steerable: an event bus, the request gate (the JSON-RPC
 * adapter of the session's hold queue, with the `--break-on` patterns; throws INVALID_ARGUMENT for
 * a malformed one, before anything starts), and a registry publishing control sockets under
 * `tracesDir`. `heartbeatMs` default 3000.
 */
export function createProxySteering(options: { tracesDir: string; sessionId: string; breakOn?: string[]; log?: (line: string) => void; heartbeatMs?: number }): ProxySteering {
  const log = options.log ?? (() => undefined);
  const bus = createEventBus();
  const gate = createRequestGate({ bus, sessionId: options.sessionId, breakOn: options.breakOn ?? [] });
  const registry = createLiveSessionRegistry({ bus, tracesDir: options.tracesDir, log, ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}) });
  let live: LiveSession | undefined;
  let writer: TraceWriter | undefined;
  let traceLog: CollapsingLog | undefined;
  return {
    sessionId: options.sessionId,
    gate,
    registry,
    openTraceWriter({ sessionId, title }) {
      // A full disk fails every batch: say so once, then with a count.
      const collapsed = collapseRepeats(log);
      traceLog = collapsed;
      writer = createTraceWriter({ tracesDir: options.tracesDir, sessionId, title, engine: 'proxy', onError: (err) => collapsed(`trace: ${err.message}`) });
      return writer;
    },
    async attach(session, statusWriter) {
      const w = statusWriter ?? writer;
      try {
        live = await attachLiveControl(session, { registry, gate, log, ...(w ? { writer: w } : {}) });
      } catch (err) {
        log(`session ${session.sessionId} cannot be steered: ${describeError(err)}`);
      }
    },
    async close() {
      // finish is idempotent: when the proxy already ended, this waits for that finish to complete.
      await live?.finish('completed').catch(() => undefined);
      await registry.close();
      // The pending repeat count of the trace's error log is written when the session ends.
      traceLog?.flush();
      traceLog = undefined;
    },
  };
}
