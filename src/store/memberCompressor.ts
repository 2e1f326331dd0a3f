import { constants, createGzip, type Gzip } from 'node:zlib';

/** Turns batches into complete gzip members off the event loop. */
export interface MemberCompressor {
  /** Resolves to one complete gzip member holding `data`. Starts at once when a handle is free. */
  compress(data: Buffer): Promise<Buffer>;
  /** Waits for queued work, then releases the zlib handles. Idempotent. */
  close(): Promise<void>;
}

/** zlib handles per compressor: two let a burst use both cores of a small machine. */
export const COMPRESSOR_HANDLES = 2;

interface Job {
  data: Buffer;
  resolve(member: Buffer): void;
  reject(err: Error): void;
}

/**
 * Creates a compressor over a few reused zlib handles. Each write is finished as a whole gzip
 * member (Z_FINISH) and the handle reset, so one member costs one threadpool round trip and no
 * new handle or stream on the event loop (about half the loop time of `zlib.gzip`). Work starts
 * synchronously when a handle is idle, so compression overlaps a burst of writes. Members may
 * finish out of order across handles: callers keep their own order. After a zlib error the
 * handle is replaced and that batch's promise rejects.
 */
export function createMemberCompressor(level: number, handles = COMPRESSOR_HANDLES): MemberCompressor {
  const lanes = Array.from({ length: Math.max(1, handles) }, () => createLane(level));
  let next = 0;
  return {
    compress(data) {
      let lane = lanes[next]!;
      for (const l of lanes) if (l.load() < lane.load()) lane = l;
      next = (next + 1) % lanes.length;
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
  let current: Job | undefined;
  const queue: Job[] = [];
  let idle: (() => void) | undefined;

  function handle(): Gzip {
    if (gz) return gz;
    // Every write is finished as a whole member (Z_FINISH).
    const g = createGzip({ level, chunkSize: 64 * 1024, flush: constants.Z_FINISH });
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
