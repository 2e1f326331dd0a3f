/** Poll intervals of a live tail, in ms (see LiveTail). */
export interface TailTiming {
  /** After a read that brought new spans. Default 250. */
  active: number;
  /** Upper bound while nothing changes. Default 1000. */
  idle: number;
  /** Growth of the interval per empty read. Default 2. */
  factor: number;
}

/** Default timing: the writer flushes at most 50 ms after a span ends, so 250 ms reads as live. */
export const DEFAULT_TAIL_TIMING: TailTiming = { active: 250, idle: 1000, factor: 2 };

/**
 * Calls `read` (resolving true when new data came) again and again while started: soon after
 * data arrived, backing off to `idle` while the trace stands still, so an idle open tab costs
 * the gateway one cheap 416 a second. A failed read backs off like an empty one and
 * is reported to `onError`; one read runs at a time.
 */
export class LiveTail {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private delay: number;
  private running = false;
  private reading = false;

  constructor(
    private readonly read: () => Promise<boolean>,
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly timing: TailTiming = DEFAULT_TAIL_TIMING,
  ) {
    this.delay = timing.active;
  }

  /** The delay before the next read. */
  get nextDelay(): number {
    return this.delay;
  }

  get started(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.delay = this.timing.active;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads now (e.g. the session just ended: pick up its last spans), then keeps the rhythm. */
  poke(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    void this.tick();
  }

  private schedule(): void {
    if (!this.running || this.timer !== undefined || this.reading) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, this.delay);
  }

  private async tick(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    let got = false;
    try {
      got = await this.read();
    } catch (err) {
      this.onError(err);
    } finally {
      this.reading = false;
    }
    this.delay = got ? this.timing.active : Math.min(this.timing.idle, this.delay * this.timing.factor);
    this.schedule();
  }
}
