import { describeError } from '../core/errors.js';
import { applyRetention } from './retention.js';

/** Options of {@link startRetention}. */
export interface RetentionScheduleOptions {
  tracesDir: string;
  /** Age limit in days (0: none). */
  days: number;
  /** Size limit of the traces directory's sessions in bytes (undefined or 0: none). */
  maxBytes?: number;
  /** Time between runs after the first, which starts at once. Default one hour. */
  intervalMs?: number;
  /** One line per run that deleted something, and per failure. */
  log: (line: string) => void;
}

/** A running retention schedule. */
export interface RetentionSchedule {
  /** Settles when the run under way (if any) has finished. */
  idle(): Promise<void>;
  /** Stops the schedule (a run under way finishes). Idempotent. */
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;

/**
 * Applies retention to `tracesDir` now and then every `intervalMs` (the timer does not keep
 * the process alive), so a long-running `serve` keeps the directory within its limits. A run
 * never overlaps the previous one; failures are logged and the schedule goes on. With both
 * limits off it does nothing.
 */
export function startRetention(o: RetentionScheduleOptions): RetentionSchedule {
  const maxBytes = o.maxBytes === 0 ? undefined : o.maxBytes;
  let current: Promise<void> = Promise.resolve();
  let closed = false;
  const run = (): void => {
    current = current.then(async () => {
      if (closed) return;
      try {
        const { deleted, freedBytes } = await applyRetention(o.tracesDir, { days: o.days, ...(maxBytes === undefined ? {} : { maxBytes }) });
        if (deleted.length > 0) {
          o.log(`mcpscope: retention deleted ${deleted.length} session${deleted.length === 1 ? '' : 's'} (${(freedBytes / 1048576).toFixed(1)} MiB)`);
        }
      } catch (err) {
        o.log(`mcpscope: retention failed: ${describeError(err)}`);
      }
    });
  };
  const enabled = o.days > 0 || maxBytes !== undefined;
  let timer: NodeJS.Timeout | undefined;
  if (enabled) {
    run();
    timer = setInterval(run, o.intervalMs ?? HOUR_MS);
    timer.unref();
  }
  return {
    idle: () => current,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      await current;
    },
  };
}
