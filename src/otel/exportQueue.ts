/** Where a queued item's fate is counted: each session has one, so its meta can say what it lost. */
export interface DropCounter {
  /** Items given up on (queue full, export failed or timed out, still queued at shutdown). */
  dropped: number;
  /** Items queued or being sent. */
  pending: number;
}

/** Options of {@link createExportQueue}. */
export interface ExportQueueOptions<T> {
  /**
   * Sends one batch; resolves when delivered, rejects when not (the batch is then dropped, not
   * retried: the official exporters already retry what is retryable within their timeout).
   */
  send(batch: T[]): Promise<void>;
  /** Most items waiting; past it new items are dropped. Default 2048. */
  maxQueue?: number;
  /** Most items per send. Default 512. */
  maxBatch?: number;
  /** A send not settled after this long counts as failed (its items dropped). Default 10 s. */
  timeoutMs?: number;
  /** Told of every drop, with how many and why (for a rate-limited report). */
  onDrop?: (count: number, reason: string) => void;
}

/** A bounded queue in front of an exporter: `add` never waits, one send at a time. */
export interface ExportQueue<T> {
  /** Queues `items` for `counter`'s session; what does not fit is dropped and counted. Never throws, never waits. */
  add(items: readonly T[], counter: DropCounter): void;
  /**
   * Resolves once `counter`'s items are all sent or dropped, or after `waitMs`: then its items
   * still queued are dropped (one being sent is left to finish within the send timeout).
   */
  drain(counter: DropCounter, waitMs: number): Promise<void>;
  /** Items waiting now. */
  readonly size: number;
}

interface Entry<T> {
  item: T;
  counter: DropCounter;
}

/**
 * Creates the queue. Sending starts on the next turn after items arrive and goes on while any
 * wait, so batches grow by themselves while a slow collector holds a send: no timer adds
 * latency, and the traffic's thread only ever pushes to an array.
 */
export function createExportQueue<T>(options: ExportQueueOptions<T>): ExportQueue<T> {
  const maxQueue = Math.max(1, options.maxQueue ?? 2048);
  const maxBatch = Math.max(1, options.maxBatch ?? 512);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let queue: Entry<T>[] = [];
  let sending = false;
  let scheduled = false;
  /** Called whenever some counter's pending count drops, so drains can look again. */
  const waiters = new Set<() => void>();

  const settle = (entries: Entry<T>[], failed: string | undefined): void => {
    const byCounter = new Map<DropCounter, number>();
    for (const e of entries) byCounter.set(e.counter, (byCounter.get(e.counter) ?? 0) + 1);
    for (const [counter, n] of byCounter) {
      counter.pending -= n;
      if (failed !== undefined) counter.dropped += n;
    }
    if (failed !== undefined && entries.length > 0) options.onDrop?.(entries.length, failed);
    for (const w of [...waiters]) w();
  };

  const pump = async (): Promise<void> => {
    scheduled = false;
    if (sending) return;
    sending = true;
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        // Not unref'd: a closing session waits for this send's fate, and this bounds the wait.
        timer = setTimeout(() => reject(new Error(`export timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      let failed: string | undefined;
      try {
        await Promise.race([options.send(batch.map((e) => e.item)), timeout]);
      } catch (err) {
        failed = err instanceof Error ? err.message : String(err);
      } finally {
        clearTimeout(timer);
      }
      settle(batch, failed);
    }
    sending = false;
  };

  return {
    get size() {
      return queue.length;
    },
    add(items, counter) {
      if (items.length === 0) return;
      const room = Math.max(0, maxQueue - queue.length);
      const taken = Math.min(room, items.length);
      for (let i = 0; i < taken; i++) queue.push({ item: items[i]!, counter });
      counter.pending += taken;
      if (taken < items.length) {
        counter.dropped += items.length - taken;
        options.onDrop?.(items.length - taken, `queue full (${maxQueue} spans)`);
      }
      if (taken > 0 && !sending && !scheduled) {
        scheduled = true;
        setImmediate(() => void pump());
      }
    },
    drain(counter, waitMs) {
      if (counter.pending === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const check = (): void => {
          if (counter.pending > 0) return;
          finish();
        };
        const timer = setTimeout(() => {
          // Give up on what has not left yet; a send in progress settles within its own timeout.
          const mine = queue.filter((e) => e.counter === counter);
          if (mine.length > 0) {
            queue = queue.filter((e) => e.counter !== counter);
            settle(mine, 'not sent before the session closed');
          }
          if (counter.pending === 0) finish();
        }, waitMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
  };
}
