import { Worker } from 'node:worker_threads';
import { constants, createGzip, type Gzip } from 'node:zlib';

/** Turns batches into complete gzip members off the event loop. */
export interface MemberCompressor {
  /** Resolves to one complete gzip member holding `data` (copied: the caller keeps `data`). */
  compress(data: Buffer): Promise<Buffer>;
  /**
   * Like `compress`, but takes over `data` (from `batchBuffer`): its memory moves to the worker
   * without a copy and comes back for reuse, so the caller must not touch `data` afterwards.
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
 * Creates a compressor. Batches go to one process-wide compression worker thread (started on
 * first use, unref'd while idle so it never keeps the process alive) that gzips them one after
 * another from its own queue: compression keeps going while the event loop is busy, e.g. in a
 * long synchronous burst of writes, and each batch costs the event loop one message each way.
 * Members come back in the order given. If the worker cannot start or dies, its unfinished and
 * later batches are compressed on the libuv threadpool through reused zlib handles instead.
 */
export function createMemberCompressor(level: number, handles = COMPRESSOR_HANDLES): MemberCompressor {
  let outstanding = 0;
  let idle: (() => void) | undefined;
  let drained: Promise<void> | undefined;
  let fallback: ReturnType<typeof createLaneCompressor> | undefined;
  const settle = () => {
    if (--outstanding > 0) return;
    idle?.();
    idle = undefined;
    drained = undefined;
  };
  const lanes = () => (fallback ??= createLaneCompressor(level, handles));
  const run = (data: Buffer, owned: boolean) => {
    outstanding++;
    const pool = sharedPool();
    const p = pool ? pool.compress(data, level, owned, () => lanes().compress(data)) : lanes().compress(data);
    p.then(settle, settle);
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
      if (outstanding > 0) await (drained ??= new Promise<void>((resolve) => (idle = resolve)));
      await fallback?.close();
    },
  };
}

// ---- the shared worker ----

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { gzipSync } = require('node:zlib');
// Compression is background work: on Linux the nice value is per thread, so this lowers only
// this worker, and the threads that carry traffic (ours and our peers') win the cores first.
try { require('node:os').setPriority(0, 10); } catch {}
parentPort.on('message', (m) => {
  try {
    const out = gzipSync(m.data, { level: m.level });
    const own = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out);
    const transfer = [own.buffer];
    if (m.owned) transfer.push(m.data.buffer);
    parentPort.postMessage({ id: m.id, member: own, input: m.owned ? m.data.buffer : undefined }, transfer);
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message || err) });
  }
});
`;

interface PoolJob {
  resolve(member: Buffer): void;
  reject(err: Error): void;
  retry(): Promise<Buffer>;
}

interface WorkerPool {
  compress(data: Buffer, level: number, owned: boolean, retry: () => Promise<Buffer>): Promise<Buffer>;
}

/** Batch buffers back from the worker, ready for reuse (a few, so idle memory stays small). */
const freeBuffers: ArrayBuffer[] = [];
const MAX_FREE_BUFFERS = 4;
const MAX_FREE_BUFFER_BYTES = 1024 * 1024;

let pool: WorkerPool | undefined;
let poolUnavailable = false;

/** The process-wide worker, started lazily; undefined once it could not start or has died. */
function sharedPool(): WorkerPool | undefined {
  if (pool || poolUnavailable) return pool;
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false });
  } catch {
    poolUnavailable = true;
    return undefined;
  }
  worker.unref();
  const jobs = new Map<number, PoolJob>();
  let nextId = 0;
  let dead = false;
  const die = () => {
    if (dead) return;
    dead = true;
    poolUnavailable = true;
    pool = undefined;
    for (const job of jobs.values()) job.retry().then(job.resolve, job.reject);
    jobs.clear();
    void worker.terminate().catch(() => undefined);
  };
  worker.on('message', (m: { id: number; member?: Uint8Array; input?: ArrayBuffer; error?: string }) => {
    if (m.input && freeBuffers.length < MAX_FREE_BUFFERS && m.input.byteLength <= MAX_FREE_BUFFER_BYTES) freeBuffers.push(m.input);
    const job = jobs.get(m.id);
    if (!job) return;
    jobs.delete(m.id);
    if (jobs.size === 0) worker.unref();
    if (m.member) job.resolve(Buffer.from(m.member.buffer, m.member.byteOffset, m.member.byteLength));
    else job.reject(new Error(`compression failed: ${m.error ?? 'unknown error'}`));
  });
  worker.on('error', die);
  worker.on('exit', die);
  pool = {
    compress(data, level, owned, retry) {
      // Only a buffer with memory of its own moves (never a slice of Buffer's shared pool).
      const move = owned && data.buffer.byteLength > Buffer.poolSize;
      return new Promise<Buffer>((resolve, reject) => {
        const id = nextId++;
        if (jobs.size === 0) worker.ref();
        // A moved batch cannot be compressed again elsewhere if the worker dies.
        jobs.set(id, { resolve, reject, retry: move ? () => Promise.reject(new Error('compression worker exited')) : retry });
        try {
          worker.postMessage({ id, data, level, owned: move }, move ? [data.buffer as ArrayBuffer] : []);
        } catch (err) {
          jobs.delete(id);
          if (jobs.size === 0) worker.unref();
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
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
