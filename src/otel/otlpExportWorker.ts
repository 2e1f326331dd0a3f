import { parentPort, workerData } from 'node:worker_threads';
import { createOtlpSender, type LineGroup, type SenderConfig } from './otlpSender.js';

/** A request from the export's thread: a batch to send, or the end. */
export type WorkerRequest = { id: number; groups: LineGroup[] } | { id: number; shutdown: true };
/** The answer to request `id`. */
export interface WorkerReply {
  id: number;
  error?: string;
}

// The worker thread of an OTLP export (see otlpWorkerSender): it owns the official exporter, so
// converting and encoding spans never holds up the thread that forwards MCP traffic.
const port = parentPort!;
const sender = createOtlpSender(workerData as SenderConfig);
port.on('message', (req: WorkerRequest) => {
  void sender
    .then((s) => ('shutdown' in req ? s.shutdown() : s.send(req.groups)))
    .then(
      () => port.postMessage({ id: req.id } satisfies WorkerReply),
      (err: unknown) => port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
    );
});
