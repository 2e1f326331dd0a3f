import { Listeners } from '../core/listeners.js';
import { describeError } from '../core/errors.js';
import type { EventBus } from '../sessions/eventBus.js';
import { createTracesDirWatcher, type TracesDirWatcher } from '../store/tracesDirWatcher.js';

/** A change of one session, as the catalog announces it (resources relay it to subscribers). */
export interface SessionChange {
  sessionId: string;
  /** `added` / `removed`: the session list changed; the others: this session's content changed. */
  kind: 'added' | 'removed' | 'trace' | 'meta' | 'status';
}

/** Options of {@link createSessionChanges}. */
export interface SessionChangesOptions {
  tracesDir: string;
  /** Live events; a session's events become `status` or (heartbeats) `trace` changes. */
  bus?: EventBus;
  /** Watch the traces directory. Default true. */
  watch?: boolean;
  /** Called for every removed session before listeners hear of it (drops cached state). */
  onRemoved?: (sessionId: string) => void;
  log: (line: string) => void;
}

/** Fan-out of session changes from the traces directory and the live bus. */
export interface SessionChanges {
  /** Ids known so far; a change to an id not in it is announced as `added` first. Set once by the first listing. */
  learn(ids: Iterable<string>): void;
  subscribe(listener: (change: SessionChange) => void): () => void;
  /** Stops the watcher and the bus relay; idempotent. */
  close(): Promise<void>;
}

/** Starts relaying changes of `tracesDir` (unless `watch` is false) and of `bus`. */
export function createSessionChanges(options: SessionChangesOptions): SessionChanges {
  const { log } = options;
  const listeners = new Listeners<SessionChange>((err) => log(`inspector: change listener failed: ${describeError(err)}`));
  let known: Set<string> | undefined;
  let closed = false;

  const emit = (change: SessionChange) => {
    if (closed) return;
    listeners.emit(change);
  };
  /** Emits `added` first when the session was not known. */
  const touch = (sessionId: string, kind: SessionChange['kind']) => {
    if (known && !known.has(sessionId)) {
      known.add(sessionId);
      emit({ sessionId, kind: 'added' });
    }
    emit({ sessionId, kind });
  };

  let watcher: TracesDirWatcher | undefined;
  if (options.watch !== false) {
    watcher = createTracesDirWatcher({ dir: options.tracesDir, onError: (err) => log(`inspector: traces watcher: ${describeError(err)}`) });
    watcher.subscribe((change) => {
      if (change.kind === 'removed') {
        options.onRemoved?.(change.sessionId);
        known?.delete(change.sessionId);
        emit(change);
      } else touch(change.sessionId, change.kind);
    });
  }
  const stopBus = options.bus?.subscribe((event) => {
    if (event.type === 'SessionStarted') touch(event.session_id, 'status');
    else touch(event.session_id, event.type === 'Heartbeat' ? 'trace' : 'status');
  });

  return {
    learn(ids) {
      known ??= new Set(ids);
    },
    subscribe(listener) {
      return listeners.add(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      stopBus?.();
      listeners.clear();
      await watcher?.close();
    },
  };
}
