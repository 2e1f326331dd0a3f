import { InspectorError, describeError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import { startControlServer, type ControlServerHandle } from './controlServer.js';
import type { EventBus } from './eventBus.js';
import { createLiveSession } from './liveSession.js';
import type { LiveSession, LiveSessionOptions } from './liveSessionTypes.js';
import { Listeners } from '../core/listeners.js';

/** Options of {@link createLiveSessionRegistry}. */
export interface LiveSessionRegistryOptions {
  bus: EventBus;
  /** When set, every session gets a control socket registered under `<tracesDir>/live/`. Default: none (in-process only). */
  tracesDir?: string;
  /** Heartbeat period of each running session. Default 3000 ms. */
  heartbeatMs?: number;
  /** Where problems are reported (one line each); default: dropped. */
  log?: (line: string) => void;
}

/** The live sessions of this process. */
export interface LiveSessionRegistry {
  readonly bus: EventBus;
  readonly tracesDir?: string;
  list(): LiveSession[];
  get(sessionId: string): LiveSession | undefined;
  /** Called when a session is registered or finishes. Returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** Finishes every live session as `cancelled` (reason `inspector shut down`) and closes their endpoints. Idempotent. */
  close(): Promise<void>;
}

interface RegistryInternals extends LiveSessionRegistry {
  heartbeatMs: number;
  log: (line: string) => void;
  sessions: Map<string, LiveSession>;
  changed(): void;
}

/** Creates the registry of this process's live sessions. */
export function createLiveSessionRegistry(options: LiveSessionRegistryOptions): LiveSessionRegistry {
  const sessions = new Map<string, LiveSession>();
  const listeners = new Listeners<void>((err) => registry.log(`live registry listener failed: ${describeError(err)}`));
  const registry: RegistryInternals = {
    bus: options.bus,
    ...(options.tracesDir === undefined ? {} : { tracesDir: options.tracesDir }),
    heartbeatMs: options.heartbeatMs ?? 3000,
    log: options.log ?? (() => undefined),
    sessions,
    list: () => [...sessions.values()],
    get: (id) => sessions.get(id),
    onChange: (listener) => listeners.add(listener),
    changed: () => listeners.emit(),
    async close() {
      await Promise.all([...sessions.values()].map((s) => s.finish('cancelled', 'inspector shut down')));
    },
  };
  return registry;
}

/**
 * Registers a live session: publishes SessionStarted, heartbeats while it runs, records status
 * changes through `writer.setStatus`, applies signals, and (when the registry has a tracesDir)
 * serves it on a control socket. Resolves once the endpoint is listening. Call `finish` when the
 * session ends; it unregisters the session. Throws CONFLICT when the id is already live.
 */
export async function registerLiveSession(registry: LiveSessionRegistry, options: LiveSessionOptions): Promise<LiveSession> {
  const internals = registry as RegistryInternals;
  const id = assertSessionId(options.sessionId);
  if (internals.sessions.has(id)) throw new InspectorError('CONFLICT', `session ${id} is already live`);
  let endpoint: ControlServerHandle | undefined;
  let endpointReady: Promise<void> = Promise.resolve();
  const session = createLiveSession(options, registry.bus, internals.heartbeatMs, internals.log, async () => {
    internals.sessions.delete(id);
    internals.changed();
    await endpointReady;
    await endpoint?.close();
  });
  internals.sessions.set(id, session);
  internals.changed();
  if (registry.tracesDir !== undefined) {
    const tracesDir = registry.tracesDir;
    endpointReady = (async () => {
      try {
        endpoint = await startControlServer(session, { tracesDir, bus: registry.bus, log: internals.log });
      } catch (err) {
        internals.log(`session ${id}: no control socket (other processes cannot steer it): ${describeError(err)}`);
      }
    })();
    await endpointReady;
  }
  return session;
}
