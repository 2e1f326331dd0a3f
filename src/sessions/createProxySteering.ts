import { describeError } from '../core/errors.js';
import { attachLiveControl, type SteerableSession } from './attachLiveControl.js';
import { createEventBus } from './eventBus.js';
import type { LiveSession, StatusWriter } from './liveSessionTypes.js';
import { createLiveSessionRegistry, type LiveSessionRegistry } from './liveSessionRegistry.js';
import type { ControlledGate } from './gateTypes.js';
import { createRequestGate } from './requestGate.js';

/** The live-control side of one `mcpscope proxy` process. */
export interface ProxySteering {
  readonly sessionId: string;
  /** Give this to startProxy({ gate }). */
  readonly gate: ControlledGate;
  readonly registry: LiveSessionRegistry;
  /** Registers the started proxy session under `<tracesDir>/live/` so `serve` can steer it. Never rejects. */
  attach(session: SteerableSession, writer?: StatusWriter): Promise<void>;
  /** Finishes the live session if still live and removes its control socket. Idempotent. */
  close(): Promise<void>;
}

/**
 * Everything a proxy process needs to be steerable: an event bus, the request gate (with the
 * `--break-on` patterns; throws INVALID_ARGUMENT for a malformed one, before anything starts),
 * and a registry publishing control sockets under `tracesDir`. `heartbeatMs` default 3000.
 */
export function createProxySteering(options: { tracesDir: string; sessionId: string; breakOn?: string[]; log?: (line: string) => void; heartbeatMs?: number }): ProxySteering {
  const log = options.log ?? (() => undefined);
  const bus = createEventBus();
  const gate = createRequestGate({ bus, sessionId: options.sessionId, breakOn: options.breakOn ?? [] });
  const registry = createLiveSessionRegistry({ bus, tracesDir: options.tracesDir, log, ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}) });
  let live: LiveSession | undefined;
  return {
    sessionId: options.sessionId,
    gate,
    registry,
    async attach(session, writer) {
      try {
        live = await attachLiveControl(session, { registry, gate, log, ...(writer ? { writer } : {}) });
      } catch (err) {
        log(`session ${session.sessionId} cannot be steered: ${describeError(err)}`);
      }
    },
    async close() {
      // finish is idempotent: when the proxy already ended, this waits for that finish to complete.
      await live?.finish('completed').catch(() => undefined);
      await registry.close();
    },
  };
}
