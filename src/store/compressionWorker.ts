import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

// The process-wide compression worker thread behind createMemberCompressor: it gzips batches
// from its own queue at a lower priority, and answers on a port the caller can also read
// synchronously. Started lazily; unref'd while it has no job.

/** Slots of the shared array through which the caller tells the worker which jobs it did itself. */
const CANCEL_SLOTS = 1024;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// Replies go on their own port, which the caller can also read synchronously (receiveMessageOnPort).
const replies = workerData.replies;
const { gzipSync } = require('node:zlib');
const cancelled = new Int32Array(workerData.cancelled);
// Compression is background work: on Linux the nice value is per thread, so this lowers only
// this worker, and the threads that carry traffic (ours and our peers') win the cores first.
try { require('node:os').setPriority(0, 10); } catch {}
// Readable by the caller without an event-loop turn: it may be in a long synchronous burst.
Atomics.store(new Int32Array(workerData.ready), 0, 1);
parentPort.on('message', (m) => {
  // Already compressed by the caller (it waited too long): skip the work, say so.
  if (Atomics.load(cancelled, m.id % ${CANCEL_SLOTS}) === m.id + 1) {
    replies.postMessage({ id: m.id, skipped: true });
    return;
  }
  try {
    const out = gzipSync(m.data, { level: m.level });
    const own = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out);
    replies.postMessage({ id: m.id, member: own }, [own.buffer]);
  } catch (err) {
    replies.postMessage({ id: m.id, error: String(err && err.message || err) });
  }
});
`;

export interface PoolJob {
  /** Called once, synchronously when the reply is read: the member, or an error. */
  done(member: Buffer | undefined, err?: Error): void;
  retry(): Promise<Buffer>;
}

export interface WorkerPool {
  /** True once the worker runs: until then (tens of ms, more on a loaded machine) batches are better compressed here. */
  readonly online: boolean;
  /** `onId` learns the job's id before the worker can see it; `done` hears the outcome once. */
  compress(data: Buffer, level: number, onId: (id: number) => void, retry: () => Promise<Buffer>, done: PoolJob['done']): void;
  /** Takes in, now, every reply the worker has sent (so their jobs settle before a caller takes over). */
  collect(): void;
}

let pool: WorkerPool | undefined;
let poolUnavailable = false;
/** Job id + 1 in slot id % CANCEL_SLOTS: the worker skips that job (a later job may reuse the slot: then it is merely done twice). */
const cancelled = new Int32Array(new SharedArrayBuffer(4 * CANCEL_SLOTS));
let cancelJob: ((id: number) => void) | undefined;

export function cancelPoolJob(id: number): void {
  cancelJob?.(id);
}

/** The process-wide worker, started lazily; undefined once it could not start or has died. */
export function sharedPool(): WorkerPool | undefined {
  if (pool || poolUnavailable) return pool;
  const started = WorkerCompressionPool.start();
  if (!started) {
    poolUnavailable = true;
    return undefined;
  }
  cancelJob = (id) => Atomics.store(cancelled, id % CANCEL_SLOTS, id + 1);
  pool = started;
  return pool;
}

type Reply = { id: number; member?: Uint8Array; skipped?: boolean; error?: string };

/** The worker thread and the jobs it has out; once it dies, its jobs are retried by their callers and no new pool starts. */
class WorkerCompressionPool implements WorkerPool {
  private readonly jobs = new Map<number, PoolJob>();
  private nextId = 0;
  private dead = false;
  private started = false;

  /** Starts the worker; undefined when no worker thread can run here. */
  static start(): WorkerCompressionPool | undefined {
    /** Set to 1 by the worker as soon as its script runs. */
    const ready = new Int32Array(new SharedArrayBuffer(4));
    try {
      const channel = new MessageChannel();
      const worker = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false, workerData: { cancelled: cancelled.buffer, ready: ready.buffer, replies: channel.port2 }, transferList: [channel.port2] });
      return new WorkerCompressionPool(worker, channel.port1, ready);
    } catch {
      return undefined;
    }
  }

  private constructor(
    private readonly worker: Worker,
    private readonly replies: MessagePort,
    private readonly ready: Int32Array,
  ) {
    worker.unref();
    replies.unref();
    replies.on('message', (m: Reply) => this.onReply(m));
    worker.on('error', () => this.die());
    worker.on('exit', () => this.die());
    worker.once('online', () => {
      this.started = true;
      // An unref() before the thread started does not hold (Node 20): say it again, unless busy.
      if (this.jobs.size === 0) this.hold(false);
    });
  }

  get online(): boolean {
    // The worker's own flag says it runs before the 'online' event can be seen in a busy loop.
    return this.started || Atomics.load(this.ready, 0) === 1;
  }

  compress(data: Buffer, level: number, onId: (id: number) => void, retry: () => Promise<Buffer>, done: PoolJob['done']): void {
    // Ids wrap well before Int32 does: slots hold id + 1.
    const id = this.nextId;
    this.nextId = (this.nextId + 1) % 0x7ffffff0;
    onId(id);
    Atomics.store(cancelled, id % CANCEL_SLOTS, 0);
    if (this.jobs.size === 0) this.hold(true);
    this.jobs.set(id, { done, retry });
    try {
      // Not moved: the caller keeps the batch, to compress it itself if the worker is slow. A batch in
      // shared memory (memberCompressor's batch buffers) is not copied either; the caller recycles it
      // only once this job is settled, and a reply that comes after that is ignored.
      this.worker.postMessage({ id, data, level });
    } catch (err) {
      this.jobs.delete(id);
      if (this.jobs.size === 0) this.hold(false);
      done(undefined, err instanceof Error ? err : new Error(String(err)));
    }
  }

  collect(): void {
    for (let i = 0; i < 10_000 && this.jobs.size > 0; i++) {
      const reply = receiveMessageOnPort(this.replies);
      if (!reply) break;
      this.onReply(reply.message as Reply);
    }
  }

  /** Keeps the process alive exactly while jobs are out (the worker and the reply port both). */
  private hold(busy: boolean): void {
    if (busy) {
      this.worker.ref();
      this.replies.ref();
    } else {
      this.worker.unref();
      this.replies.unref();
    }
  }

  private onReply(m: Reply): void {
    const job = this.jobs.get(m.id);
    if (!job) return;
    this.jobs.delete(m.id);
    if (this.jobs.size === 0) this.hold(false);
    if (m.member) job.done(Buffer.from(m.member.buffer, m.member.byteOffset, m.member.byteLength));
    else if (m.skipped) job.done(undefined, new Error('compressed by the caller'));
    else job.done(undefined, new Error(`compression failed: ${m.error ?? 'unknown error'}`));
  }

  private die(): void {
    if (this.dead) return;
    this.dead = true;
    poolUnavailable = true;
    pool = undefined;
    cancelJob = undefined;
    for (const job of this.jobs.values()) job.retry().then((member) => job.done(member), (err: unknown) => job.done(undefined, err instanceof Error ? err : new Error(String(err))));
    this.jobs.clear();
    this.replies.close();
    void this.worker.terminate().catch(() => undefined);
  }
}
