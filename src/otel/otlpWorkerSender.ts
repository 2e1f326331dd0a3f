import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { OtlpSender, SenderConfig } from './otlpSender.js';
import type { WorkerReply, WorkerRequest } from './otlpExportWorker.js';

const WORKER_URL = new URL('./otlpExportWorker.js', import.meta.url);

/** Whether the worker's module exists beside this one (it does once built; not when running from TypeScript sources). */
export function workerAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

/**
 * A sender whose exporter runs on its own worker thread: this thread only posts the span lines
 * (strings, cheap to copy). The worker never writes to our stdout (a stdio proxy's stdout is the
 * protocol) and does not keep the process alive by itself. If it dies, every send after rejects.
 */
export function createWorkerSender(config: SenderConfig): OtlpSender {
  const worker = new Worker(WORKER_URL, { workerData: config, stdout: true });
  worker.stdout.resume();
  worker.unref();
  let nextId = 0;
  let dead: string | undefined;
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  const failAll = (reason: string): void => {
    dead ??= reason;
    for (const w of waiting.values()) w.reject(new Error(dead));
    waiting.clear();
  };
  worker.on('message', (reply: WorkerReply) => {
    const w = waiting.get(reply.id);
    if (!w) return;
    waiting.delete(reply.id);
    if (reply.error === undefined) w.resolve();
    else w.reject(new Error(reply.error));
  });
  worker.on('error', (err) => failAll(`export worker failed: ${err.message}`));
  worker.on('exit', (code) => failAll(`export worker exited (${code})`));
  const request = (req: Omit<WorkerRequest, 'id'>): Promise<void> => {
    if (dead !== undefined) return Promise.reject(new Error(dead));
    const id = nextId++;
    return new Promise<void>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...req, id });
    });
  };
  let stopped: Promise<void> | undefined;
  return {
    send: (groups) => request({ groups }),
    shutdown() {
      stopped ??= (async () => {
        if (dead === undefined) {
          worker.ref();
          await request({ shutdown: true }).catch(() => undefined);
        }
        await worker.terminate();
      })();
      return stopped;
    },
  };
}
