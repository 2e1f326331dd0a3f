import { closeSync, openSync, writeSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { collapseRepeats } from '../../src/core/collapseRepeats.js';
import { defaultOnError } from '../../src/store/traceWriterOptions.js';

/** `n` real ENOSPC errors from the OS: writes to /dev/full. */
function enospcErrors(n: number): Error[] {
  const fd = openSync('/dev/full', 'w');
  const errors: Error[] = [];
  try {
    for (let i = 0; i < n; i++) {
      try {
        writeSync(fd, Buffer.alloc(64 * 1024));
      } catch (err) {
        errors.push(err as Error);
      }
    }
  } finally {
    closeSync(fd);
  }
  return errors;
}

describe('collapseRepeats and the trace writer default error report', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('says a full disk once, then the count, instead of 487 identical lines in 4 s', () => {
    const errors = enospcErrors(487);
    expect(errors).toHaveLength(487);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ENOSPC');
    let text = '';
    const report = defaultOnError((t) => (text += t));
    // The failing run: one batch every ~8 ms for 4 s.
    for (const err of errors) {
      report(err);
      vi.advanceTimersByTime(8);
    }
    expect(text).toBe('mcpscope: trace writer: ENOSPC: no space left on device, write\n');
    // The rest of the minute passes: the count comes out once.
    vi.advanceTimersByTime(60_000);
    expect(text.split('\n').filter(Boolean)).toEqual([
      'mcpscope: trace writer: ENOSPC: no space left on device, write',
      'mcpscope: trace writer: ENOSPC: no space left on device, write (repeated 486 times in the last 60 s)',
    ]);
    // Nothing more while nothing fails.
    vi.advanceTimersByTime(600_000);
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('keeps counting across windows while the failure lasts: one line a window, not one a batch', () => {
    const lines: string[] = [];
    const log = collapseRepeats((l) => lines.push(l), { windowMs: 1000 });
    for (let i = 0; i < 300; i++) {
      log('disk full');
      vi.advanceTimersByTime(10);
    }
    // 3 s of failures: the line, then a count at the end of each window.
    expect(lines).toEqual(['disk full', 'disk full (repeated 99 times in the last 1 s)', 'disk full (repeated 100 times in the last 1 s)', 'disk full (repeated 100 times in the last 1 s)']);
    log.flush();
    expect(lines).toHaveLength(4);
  });

  it('writes a different line at once, after the pending count of the previous one; flush is idempotent', () => {
    const lines: string[] = [];
    const log = collapseRepeats((l) => lines.push(l));
    log('a');
    log('a');
    log('a');
    vi.advanceTimersByTime(2500);
    log('b');
    log('a');
    log.flush();
    log.flush();
    expect(lines).toEqual(['a', 'a (repeated 2 times in the last 3 s)', 'b', 'a']);
    log('a');
    log('a');
    log.flush();
    expect(lines.slice(4)).toEqual(['a', 'a (repeated 1 time in the last 1 s)']);
  });
});
