import { constants, createGzip, type Gzip } from 'node:zlib';

/** The compressor's fallback when no worker thread can run: reused zlib handles on the libuv threadpool. */
/** A compressor over a few reused zlib handles on the libuv threadpool (one member per round trip). */
export function createLaneCompressor(level: number, handles: number): { compress(data: Buffer): Promise<Buffer>; close(): Promise<void> } {
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
