import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { constants, createGzip, gzipSync, type Gzip } from 'node:zlib';

/** Turns batches into complete gzip members off the event loop. */
export interface MemberCompressor {
  /** Resolves to one complete gzip member holding `data` (the caller keeps `data`, unchanged until then). */
  compress(data: Buffer): Promise<Buffer>;
  /**
   * Like `compress`, but takes over `data` (from `batchBuffer`): its memory is reused for a
   * later batch once the member is made, so the caller must not touch `data` afterwards.
   */
  compressOwned(data: Buffer): Promise<Buffer>;
  /** A buffer of at least `bytes` to fill with the next batch: recycled when one is free. */
  batchBuffer(bytes: number): Buffer;
  /** Waits for this compressor's queued work. Idempotent. */
  close(): Promise<void>;
}

/** zlib handles of the threadpool fallback: two let a burst use both cores of a small machine. */
export const COMPRESSOR_HANDLES = 2;

/**
 * Longest a batch waits for the worker before the caller's thread compresses it itself. It bounds
 * what a crash can cost: the worker starts lazily (tens of ms, hundreds on a loaded machine) and
 * runs at a lower priority, so under full load it may fall behind, and every batch behind a slow
 * one is held in memory, unwritten, however fast the rest goes.
 */
export const MAX_PENDING_MS = 30;
/** Most batches waiting for the worker at once (a burst past it is compressed on the caller's thread). */
export const MAX_PENDING_BATCHES = 8;

/** Limits of one compressor; see MAX_PENDING_MS and MAX_PENDING_BATCHES (the defaults). */
export interface CompressorBounds {
  maxPendingMs?: number;
  maxPendingBatches?: number;
}

interface Job {
  data: Buffer;
  owned: boolean;
  queuedAt: number;
  settled: boolean;
  /** The worker's id for it, to tell the worker it need not bother once done here. */
  poolId: number | undefined;
  resolve(member: Buffer): void;
  reject(err: Error): void;
}

/**
 * Creates a compressor. Batches go to one process-wide compression worker thread (started on
 * first use, unref'd while idle so it never keeps the process alive) that gzips them one after
 * another from its own queue: compression keeps going while the event loop is busy, e.g. in a
 * long synchronous burst of writes, and each batch costs the event loop one message each way.
 * Members come back in the order given. The wait is bounded: a batch still pending after
 * `maxPendingMs`, or beyond `maxPendingBatches` pending, or sent while the worker is still
 * starting, is compressed at once on the caller's thread (about 0.5 ms per 64 KB at level 1),
 * oldest first, and the worker skips it. If the
 * worker cannot start or dies, its unfinished and later batches are compressed on the libuv
 * threadpool through reused zlib handles instead.
 */
export function createMemberCompressor(level: number, handles = COMPRESSOR_HANDLES, bounds: CompressorBounds = {}): MemberCompressor {
  const maxPendingMs = bounds.maxPendingMs ?? MAX_PENDING_MS;
  const maxPending = bounds.maxPendingBatches ?? MAX_PENDING_BATCHES;
  /** Jobs not yet settled, oldest first. */
  const pending: Job[] = [];
  let idle: (() => void) | undefined;
  let drained: Promise<void> | undefined;
  let fallback: ReturnType<typeof createLaneCompressor> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const lanes = () => (fallback ??= createLaneCompressor(level, handles));

  const settle = (job: Job, member: Buffer | undefined, err?: Error): void => {
    if (job.settled) return;
    job.settled = true;
    const at = pending.indexOf(job);
    if (at !== -1) pending.splice(at, 1);
    if (member) job.resolve(member);
    else job.reject(err ?? new Error('compression failed'));
    if (job.owned) recycle(job.data.buffer as ArrayBuffer);
    if (pending.length > 0) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    idle?.();
    idle = undefined;
    drained = undefined;
  };

  /** Compresses here, now, the jobs past the bounds (oldest first: members go out in order). */
  const enforce = (): void => {
    timer = undefined;
    // Members the worker finished while this thread was busy count as done: only a worker that
    // is really behind costs this thread compression ("caller thread per span" bench row).
    sharedPool()?.collect();
    const now = performance.now();
    while (pending.length > 0 && (pending.length > maxPending || now - pending[0]!.queuedAt >= maxPendingMs)) {
      const job = pending[0]!;
      try {
        const member = gzipSync(job.data, { level });
        if (job.poolId !== undefined) cancelPoolJob(job.poolId);
        settle(job, member);
      } catch (err) {
        settle(job, undefined, err instanceof Error ? err : new Error(String(err)));
      }
    }
    if (pending.length > 0 && !timer) {
      timer = setTimeout(enforce, Math.max(1, maxPendingMs - (now - pending[0]!.queuedAt)));
      timer.unref();
    }
  };

  const run = (data: Buffer, owned: boolean): Promise<Buffer> => {
    let job!: Job;
    const p = new Promise<Buffer>((resolve, reject) => {
      job = { data, owned, queuedAt: performance.now(), settled: false, poolId: undefined, resolve, reject };
    });
    pending.push(job);
    const pool = sharedPool();
    if (pool && !pool.online) {
      // While the worker boots, batches would only queue up behind it: compress them here.
      job.queuedAt = Number.NEGATIVE_INFINITY;
      enforce();
      return p;
    }
    const done = (member: Buffer | undefined, err?: unknown): void => settle(job, member, err === undefined ? undefined : err instanceof Error ? err : new Error(String(err)));
    if (pool) pool.compress(data, level, (id) => (job.poolId = id), () => lanes().compress(data), done);
    else lanes().compress(data).then((member) => done(member), (err: unknown) => done(undefined, err ?? 'compression failed'));
    enforce();
    return p;
  };
  return {
    compress: (data) => run(data, false),
    compressOwned: (data) => run(data, true),
    batchBuffer(bytes) {
      for (let i = freeBuffers.length - 1; i >= 0; i--) {
        if (freeBuffers[i]!.byteLength >= bytes) return Buffer.from(freeBuffers.splice(i, 1)[0]!);
      }
      return Buffer.allocUnsafeSlow(bytes);
    },
    async close() {
      if (pending.length > 0) await (drained ??= new Promise<void>((resolve) => (idle = resolve)));
      await fallback?.close();
    },
  };
}

// ---- the shared worker ----

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

interface PoolJob {
  /** Called once, synchronously when the reply is read: the member, or an error. */
  done(member: Buffer | undefined, err?: Error): void;
  retry(): Promise<Buffer>;
}

interface WorkerPool {
  /** True once the worker runs: until then (tens of ms, more on a loaded machine) batches are better compressed here. */
  readonly online: boolean;
  /** `onId` learns the job's id before the worker can see it; `done` hears the outcome once. */
  compress(data: Buffer, level: number, onId: (id: number) => void, retry: () => Promise<Buffer>, done: PoolJob['done']): void;
  /** Takes in, now, every reply the worker has sent (so their jobs settle before a caller takes over). */
  collect(): void;
}

/** Batch buffers done with, ready for reuse (a few, so idle memory stays small). */
const freeBuffers: ArrayBuffer[] = [];
const MAX_FREE_BUFFERS = 4;
const MAX_FREE_BUFFER_BYTES = 1024 * 1024;

function recycle(buffer: ArrayBuffer): void {
  if (buffer.byteLength > Buffer.poolSize && buffer.byteLength <= MAX_FREE_BUFFER_BYTES && freeBuffers.length < MAX_FREE_BUFFERS && !freeBuffers.includes(buffer)) freeBuffers.push(buffer);
}

let pool: WorkerPool | undefined;
let poolUnavailable = false;
/** Job id + 1 in slot id % CANCEL_SLOTS: the worker skips that job (a later job may reuse the slot: then it is merely done twice). */
const cancelled = new Int32Array(new SharedArrayBuffer(4 * CANCEL_SLOTS));
let cancelJob: ((id: number) => void) | undefined;

function cancelPoolJob(id: number): void {
  cancelJob?.(id);
}

/** The process-wide worker, started lazily; undefined once it could not start or has died. */
function sharedPool(): WorkerPool | undefined {
  if (pool || poolUnavailable) return pool;
  let worker: Worker;
  let replies: MessagePort;
  try {
    const channel = new MessageChannel();
    replies = channel.port1;
    worker = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false, workerData: { cancelled: cancelled.buffer, replies: channel.port2 }, transferList: [channel.port2] });
  } catch {
    poolUnavailable = true;
    return undefined;
  }
  worker.unref();
  replies.unref();
  /** Keeps the process alive exactly while jobs are out (the worker and the reply port both). */
  const hold = (busy: boolean): void => {
    if (busy) {
      worker.ref();
      replies.ref();
    } else {
      worker.unref();
      replies.unref();
    }
  };
  const jobs = new Map<number, PoolJob>();
  let nextId = 0;
  let dead = false;
  const die = () => {
    if (dead) return;
    dead = true;
    poolUnavailable = true;
    pool = undefined;
    cancelJob = undefined;
    for (const job of jobs.values()) job.retry().then((member) => job.done(member), (err: unknown) => job.done(undefined, err instanceof Error ? err : new Error(String(err))));
    jobs.clear();
    replies.close();
    void worker.terminate().catch(() => undefined);
  };
  const onReply = (m: { id: number; member?: Uint8Array; skipped?: boolean; error?: string }): void => {
    const job = jobs.get(m.id);
    if (!job) return;
    jobs.delete(m.id);
    if (jobs.size === 0) hold(false);
    if (m.member) job.done(Buffer.from(m.member.buffer, m.member.byteOffset, m.member.byteLength));
    else if (m.skipped) job.done(undefined, new Error('compressed by the caller'));
    else job.done(undefined, new Error(`compression failed: ${m.error ?? 'unknown error'}`));
  };
  replies.on('message', onReply);
  worker.on('error', die);
  worker.on('exit', die);
  cancelJob = (id) => Atomics.store(cancelled, id % CANCEL_SLOTS, id + 1);
  let online = false;
  worker.once('online', () => {
    online = true;
    // An unref() before the thread started does not hold (Node 20): say it again, unless busy.
    if (jobs.size === 0) hold(false);
  });
  pool = {
    get online() {
      return online;
    },
    compress(data, level, onId, retry, done) {
      // Ids wrap well before Int32 does: slots hold id + 1.
      const id = nextId;
      nextId = (nextId + 1) % 0x7ffffff0;
      onId(id);
      Atomics.store(cancelled, id % CANCEL_SLOTS, 0);
      if (jobs.size === 0) hold(true);
      jobs.set(id, { done, retry });
      try {
        // Copied, not moved: the caller keeps the batch, to compress it itself if the worker is slow.
        worker.postMessage({ id, data, level });
      } catch (err) {
        jobs.delete(id);
        if (jobs.size === 0) hold(false);
        done(undefined, err instanceof Error ? err : new Error(String(err)));
      }
    },
    collect() {
      for (let i = 0; i < 10_000 && jobs.size > 0; i++) {
        const reply = receiveMessageOnPort(replies);
        if (!reply) break;
        onReply(reply.message as Parameters<typeof onReply>[0]);
      }
    },
  };
  return pool;
}

// ---- the threadpool fallback ----

/** A compressor over a few reused zlib handles on the libuv threadpool (one member per round trip). */
function createLaneCompressor(level: number, handles: number): Pick<MemberCompressor, 'compress' | 'close'> {
  const lanes = Array.from({ length: Math.max(1, handles) }, () => createLane(level));
  return {
    compress(data) {
      let lane = lanes[0]!;
      for (const l of lanes) if (l.load() < lane.load()) lane = l;
      return lane.compress(data);
    },
    async close() {
      await Promise.all(lanes.map((l) => l.close()));
    },
  };
}

function createLane(level: number) {
  let gz: Gzip | undefined;
  let chunks: Buffer[] = [];
  let current: { data: Buffer; resolve(member: Buffer): void; reject(err: Error): void } | undefined;
  const queue: NonNullable<typeof current>[] = [];
  let idle: (() => void) | undefined;

  function handle(): Gzip {
    if (gz) return gz;
    const g = createGzip({ level, chunkSize: 64 * 1024, flush: constants.Z_FINISH }); // every write is a whole member
    g.on('data', (c: Buffer) => chunks.push(c));
    g.on('error', (err: Error) => {
      if (gz !== g) return;
      gz = undefined;
      finish(undefined, err);
    });
    gz = g;
    return g;
  }

  function finish(member: Buffer | undefined, err?: Error): void {
    const job = current;
    current = undefined;
    chunks = [];
    if (job) {
      if (member) job.resolve(member);
      else job.reject(err ?? new Error('compression failed'));
    }
    start();
  }

  function start(): void {
    if (current) return;
    const job = queue.shift();
    if (!job) {
      idle?.();
      idle = undefined;
      return;
    }
    current = job;
    const g = handle();
    g.write(job.data, (err) => {
      if (err || current !== job || gz !== g) return; // the 'error' handler settles it
      for (let c = g.read() as Buffer | null; c !== null; c = g.read() as Buffer | null) chunks.push(c);
      const member = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      (g as unknown as { reset(): void }).reset(); // zlib's reset (deflateReset) is missing from the typings
      finish(member);
    });
  }

  return {
    load: () => queue.length + (current ? 1 : 0),
    compress(data: Buffer): Promise<Buffer> {
      return new Promise<Buffer>((resolve, reject) => {
        queue.push({ data, resolve, reject });
        start();
      });
    },
    async close(): Promise<void> {
      if (current || queue.length > 0) await new Promise<void>((resolve) => (idle = resolve));
      gz?.close();
      gz = undefined;
    },
  };
}
