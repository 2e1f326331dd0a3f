import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { cancelPoolJob, sharedPool } from './compressionWorker.js';
import { createLaneCompressor } from './zlibLanes.js';

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
/**
 * Most batches waiting for the worker at once (a burst past it is compressed on the caller's
 * thread). Two of the writer's 256 KB batches hold what eight 64 KB ones did: 512 KB per writer,
 * which matters where one process records a hundred sessions (`proxy --listen`).
 */
export const MAX_PENDING_BATCHES = 2;

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
 * Each promise settles with its own member, not necessarily in the order given (the caller
 * appends in its own order). The wait is bounded: a batch still pending after `maxPendingMs`,
 * or sent while the worker is still starting, is compressed at once on the caller's thread
 * (about 0.5 ms per 64 KB at level 1), and so are the newest beyond `maxPendingBatches` pending;
 * the worker skips what it has not begun. If the worker cannot start or dies, its unfinished
 * and later batches are compressed on the libuv threadpool through reused zlib handles instead.
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
    if (job.owned) recycle(job.data.buffer);
    if (pending.length > 0) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    idle?.();
    idle = undefined;
    drained = undefined;
  };

  /** Compresses `job` here, now; the worker skips it unless it has already begun it. */
  const compressHere = (job: Job): void => {
    if (job.poolId !== undefined) cancelPoolJob(job.poolId);
    const { member, err } = gzipHere(job.data, level);
    settle(job, member, err);
  };

  /**
   * Compresses here the jobs past the bounds (after taking in what the worker finished). Past the
   * count the newest, which the worker reaches last, so the two never do the same batch (bench
   * "caller thread per span (write call)"); past the age the oldest, the one a crash would cost.
   */
  const enforce = (): void => {
    timer = undefined;
    sharedPool()?.collect();
    while (pending.length > maxPending) compressHere(pending[pending.length - 1]!);
    const now = performance.now();
    while (pending.length > 0 && now - pending[0]!.queuedAt >= maxPendingMs) compressHere(pending[0]!);
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
    batchBuffer: takeBatchBuffer,
    async close() {
      if (pending.length > 0) await (drained ??= new Promise<void>((resolve) => (idle = resolve)));
      await fallback?.close();
    },
  };
}

/** gzipSync, its error caught. */
function gzipHere(data: Buffer, level: number): { member?: Buffer; err?: Error } {
  try {
    return { member: gzipSync(data, { level }) };
  } catch (err) {
    return { err: err instanceof Error ? err : new Error(String(err)) };
  }
}

/**
 * Batch buffers done with, ready for reuse (a few, so idle memory stays small). They are shared
 * memory: the compression worker reads a batch where the caller wrote it, where a plain buffer
 * would be copied into the message (about 60 µs per 64 KB batch on the caller's thread: bench rows
 * "instrumentTransport recording to a trace file" and "caller thread per span").
 */
const freeBuffers: SharedArrayBuffer[] = [];
const MAX_FREE_BUFFERS = 4;
const MAX_FREE_BUFFER_BYTES = 1024 * 1024;

function recycle(buffer: ArrayBufferLike): void {
  if (!(buffer instanceof SharedArrayBuffer)) return;
  if (buffer.byteLength <= MAX_FREE_BUFFER_BYTES && freeBuffers.length < MAX_FREE_BUFFERS && !freeBuffers.includes(buffer)) freeBuffers.push(buffer);
}

/** Batch buffers are allocated in multiples of this, so that one freed fits the next batch of about its size. */
const BUFFER_STEP = 64 * 1024;

/**
 * A buffer of at least `bytes` for a batch, recycled from a finished job when one is big enough.
 * A new one costs its zeroing (shared memory always is): tens of µs for a 256 KB batch.
 */
function takeBatchBuffer(bytes: number): Buffer {
  for (let i = freeBuffers.length - 1; i >= 0; i--) {
    if (freeBuffers[i]!.byteLength >= bytes) return Buffer.from(freeBuffers.splice(i, 1)[0]!);
  }
  return Buffer.from(new SharedArrayBuffer(Math.ceil(bytes / BUFFER_STEP) * BUFFER_STEP));
}
