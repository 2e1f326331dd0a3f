import { createRpcRecorder, type RpcRecorderOptions } from '../instrumentation/rpcRecorder.js';
import type { SpanSink } from '../core/spanSink.js';
import { describeError } from '../core/errors.js';
import { createRecordingQueue } from './recordingQueue.js';
import type { OpenRecording, ProxyStatus } from './startProxy.js';

/** A span sink that can also take the session's final status (the trace writer is one). */
export interface StatusSpanSink extends SpanSink {
  close(options?: { status?: ProxyStatus; reason?: string }): Promise<void>;
}

export interface RecordToOptions {
  /** Secret redaction rules for the recorder; default on with the built-in rules. */
  redaction?: RpcRecorderOptions['redaction'];
  /** Receives recording failures (never thrown into the traffic). Default: ignored. */
  onError?: (err: unknown) => void;
}

/**
 * An OpenRecording that records each session with an RpcRecorder into the sink `openSink`
 * (fed through a recording queue, so recording happens off the forwarding path)
 * returns (e.g. `({ sessionId, title }) => createTraceWriter({ tracesDir, sessionId, title, engine: 'proxy' })`,
 * or an InMemorySpanSink in tests). The sink is closed with the final status when the session ends.
 */
export function recordTo(openSink: (info: { sessionId: string; title: string }) => SpanSink | StatusSpanSink, options: RecordToOptions = {}): OpenRecording {
  return ({ sessionId, title, transport }) => {
    const sink = openSink({ sessionId, title });
    // Recording runs when the proxy has nothing to forward (see createRecordingQueue).
    const recorder = createRpcRecorder({
      sink,
      sessionId,
      transport,
      autoFlush: false,
      ...(options.redaction ? { redaction: options.redaction } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    });
    return {
      recorder: createRecordingQueue(recorder),
      async finish(status, reason) {
        try {
          await (sink as StatusSpanSink).close(reason === undefined ? { status } : { status, reason });
        } catch (err) {
          options.onError?.(new Error(`closing the trace failed: ${describeError(err)}`));
        }
      },
    };
  };
}
