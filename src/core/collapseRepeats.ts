/** Options of {@link collapseRepeats}. */
export interface CollapseOptions {
  /** Longest time repeats are only counted before the count is reported. Default 60 s. */
  windowMs?: number;
}

/** A log function that collapses repeated lines; `flush` reports a pending count now. */
export interface CollapsingLog {
  (line: string): void;
  /** Writes the pending "(repeated N times …)" line, if any. Idempotent. */
  flush(): void;
}

/**
 * Wraps `write` so that a line equal to the previous one is counted instead of written: the
 * first is written at once, the repeats become one `<line> (repeated N times in the last S s)`
 * when a different line comes, at `flush()`, or `windowMs` after the window began (a timer that
 * does not keep the process alive; the next window begins then). A disk that fails every batch
 * thus says so once, then once a window with a count, not once per batch.
 */
export function collapseRepeats(write: (line: string) => void, options: CollapseOptions = {}): CollapsingLog {
  const windowMs = options.windowMs ?? 60_000;
  let last: string | undefined;
  let since = 0;
  let repeats = 0;
  let timer: NodeJS.Timeout | undefined;

  const report = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (last !== undefined && repeats > 0) {
      const seconds = Math.max(1, Math.round((Date.now() - since) / 1000));
      write(`${last} (repeated ${repeats} time${repeats === 1 ? '' : 's'} in the last ${seconds} s)`);
    }
    repeats = 0;
    since = Date.now();
  };
  // At the end of a window the line stays current: a failure that goes on says so once a window.
  const onWindowEnd = (): void => report();
  const flush = (): void => {
    report();
    last = undefined;
  };
  const log = (line: string): void => {
    if (line === last) {
      repeats++;
      if (!timer) {
        timer = setTimeout(onWindowEnd, Math.max(0, since + windowMs - Date.now()));
        timer.unref();
      }
      return;
    }
    flush();
    write(line);
    last = line;
    since = Date.now();
  };
  return Object.assign(log, { flush });
}
