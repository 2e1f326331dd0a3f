import { performance } from 'node:perf_hooks';

/**
 * Microseconds since the Unix epoch, monotonic within a process (derived from
 * `performance.timeOrigin + performance.now()`), so span durations never go negative.
 */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** Formats epoch microseconds as RFC 3339 UTC with exactly six fractional digits. */
export function formatMicros(epochMicros: number): string {
  const micros = Math.round(epochMicros);
  const millis = Math.floor(micros / 1000);
  const iso = new Date(millis).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const extra = String(micros - millis * 1000).padStart(3, '0');
  return `${iso.slice(0, 23)}${extra}Z`;
}

/** The current time as RFC 3339 UTC with microseconds. */
export function nowIso(): string {
  return formatMicros(nowMicros());
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp to epoch microseconds; NaN when it is not one. */
export function parseMicros(value: string): number {
  const m = RFC3339.exec(value);
  if (!m) return Number.NaN;
  const base = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(base)) return Number.NaN;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return base * 1000 + Number(frac);
}

/** Milliseconds between two RFC 3339 timestamps (fractional, microsecond precision). */
export function durationMs(start: string, end: string): number {
  return (parseMicros(end) - parseMicros(start)) / 1000;
}
