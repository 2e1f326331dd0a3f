/**
 * A duration in milliseconds as every view prints it (tools, resources, prompt, CLI), with
 * precision that follows the magnitude: below 10 ms one decimal (`0.3 ms`, `7.4 ms`); below
 * 10 s whole milliseconds with thousands separators (`1,332 ms`); below a minute seconds with
 * one decimal (`12.3 s`); then `3 min 07 s` and `2 h 05 min`. `?` for a negative or non-finite value.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms === 0) return '0 ms';
  if (ms < 9.95) return `${ms.toFixed(1)} ms`;
  if (ms < 9999.5) return `${Math.round(ms).toLocaleString('en-US')} ms`;
  const s = ms / 1000;
  if (s < 59.95) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  if (total < 3600) return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
  const minutes = Math.round(total / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** `1 error`, `2 errors`: `count` and `noun`, plural unless the count is 1 (`plural` defaults to noun + "s"). */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : pluralNoun}`;
}
