import { constants, createGzip, type Gzip } from 'node:zlib';

/** Turns batches into complete gzip members, one at a time, off the event loop. */
export interface MemberCompressor {
  /** Resolves to one complete gzip member holding `data`. Calls are served in order. */
  compress(data: Buffer): Promise<Buffer>;
  /** Releases the zlib handle once queued work is done. Idempotent. */
  close(): Promise<void>;
}

/**
 * Creates a compressor that reuses one zlib handle for every member (write, finish with
 * Z_FINISH, reset), so compression runs on the libuv threadpool without paying for a new
 * handle and stream per batch on the event loop (about half the loop time of `zlib.gzip`).
 * After a zlib error the handle is replaced and the failed batch's promise rejects.
 */
export function createMemberCompressor(level: number): MemberCompressor {
  let gz: Gzip | undefined;
  let chunks: Buffer[] = [];
  let fail: ((err: Error) => void) | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  function handle(): Gzip {
    if (gz) return gz;
    const g = createGzip({ level, chunkSize: 64 * 1024 });
    g.on('data', (c: Buffer) => chunks.push(c));
    g.on('error', (err: Error) => {
      if (gz === g) gz = undefined;
      chunks = [];
      fail?.(err);
    });
    gz = g;
    return g;
  }

  function one(data: Buffer): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      fail = reject;
      const g = handle();
      g.write(data);
      g.flush(constants.Z_FINISH, () => {
        for (let c = g.read() as Buffer | null; c !== null; c = g.read() as Buffer | null) chunks.push(c);
        const member = Buffer.concat(chunks);
        chunks = [];
        fail = undefined;
        (g as unknown as { reset(): void }).reset(); // zlib's reset (deflateReset) is missing from the typings
        resolve(member);
      });
    });
  }

  return {
    compress(data) {
      const result = chain.then(() => one(data));
      chain = result.catch(() => undefined);
      return result;
    },
    async close() {
      await chain;
      gz?.close();
      gz = undefined;
    },
  };
}
