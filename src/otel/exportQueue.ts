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
  return new BoundedExportQueue(options);
}

class BoundedExportQueue<T> implements ExportQueue<T> {
  private readonly maxQueue: number;
  private readonly maxBatch: number;
  private readonly timeoutMs: number;
  private queue: Entry<T>[] = [];
  private sending = false;
  private scheduled = false;
  /** Called whenever some counter's pending count drops, so drains can look again. */
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: ExportQueueOptions<T>) {
    this.maxQueue = Math.max(1, options.maxQueue ?? 2048);
    this.maxBatch = Math.max(1, options.maxBatch ?? 512);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  get size(): number {
    return this.queue.length;
  }

  add(items: readonly T[], counter: DropCounter): void {
    if (items.length === 0) return;
    const room = Math.max(0, this.maxQueue - this.queue.length);
    const taken = Math.min(room, items.length);
    for (let i = 0; i < taken; i++) this.queue.push({ item: items[i]!, counter });
    counter.pending += taken;
    if (taken < items.length) {
      counter.dropped += items.length - taken;
      this.options.onDrop?.(items.length - taken, `queue full (${this.maxQueue} spans)`);
    }
    if (taken > 0 && !this.sending && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.pump());
    }
  }

  drain(counter: DropCounter, waitMs: number): Promise<void> {
    if (counter.pending === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (counter.pending === 0) finish();
      };
      const timer = setTimeout(() => {
        this.dropQueued(counter);
        if (counter.pending === 0) finish();
      }, waitMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** Gives up on what of `counter`'s has not left yet; a send in progress settles within its own timeout. */
  private dropQueued(counter: DropCounter): void {
    const mine = this.queue.filter((e) => e.counter === counter);
    if (mine.length === 0) return;
    this.queue = this.queue.filter((e) => e.counter !== counter);
    this.settle(mine, 'not sent before the session closed');
  }

  private async pump(): Promise<void> {
    this.scheduled = false;
    if (this.sending) return;
    this.sending = true;
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      this.settle(batch, await this.sendWithTimeout(batch));
    }
    this.sending = false;
  }

  private takeBatch(): Entry<T>[] {
    const { queue, maxBatch } = this;
    if (queue.length <= maxBatch) {
      this.queue = [];
      return queue;
    }
    this.queue = queue.slice(maxBatch);
    return queue.slice(0, maxBatch);
  }

  /** Sends `batch`; resolves to why it failed, or undefined when delivered. */
  private async sendWithTimeout(batch: Entry<T>[]): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // Not unref'd: a closing session waits for this send's fate, and this bounds the wait.
      timer = setTimeout(() => reject(new Error(`export timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await Promise.race([this.options.send(batch.map((e) => e.item)), timeout]);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
    }
  }

  private settle(entries: Entry<T>[], failed: string | undefined): void {
    const byCounter = new Map<DropCounter, number>();
    for (const e of entries) byCounter.set(e.counter, (byCounter.get(e.counter) ?? 0) + 1);
    for (const [counter, n] of byCounter) {
      counter.pending -= n;
      if (failed !== undefined) counter.dropped += n;
    }
    if (failed !== undefined && entries.length > 0) this.options.onDrop?.(entries.length, failed);
    for (const w of [...this.waiters]) w();
  }
}
