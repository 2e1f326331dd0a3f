import { describe, expect, it } from 'vitest';
import { durationMs, formatMicros, nowIso, nowMicros, parseMicros } from '../../src/core/time.js';
import { TimestampSchema } from '../../src/core/span.js';

describe('timestamps', () => {
  it('formats RFC 3339 UTC with exactly six fractional digits', () => {
    expect(formatMicros(Date.UTC(2026, 0, 1, 12, 0, 0, 123) * 1000 + 456)).toBe('2026-01-01T12:00:00.123456Z');
    expect(formatMicros(Date.UTC(2026, 0, 1) * 1000 + 7)).toBe('2026-01-01T00:00:00.000007Z');
    expect(nowIso()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(TimestampSchema.safeParse(nowIso()).success).toBe(true);
  });

  it('round-trips through parseMicros', () => {
    const t = nowMicros();
    expect(parseMicros(formatMicros(t))).toBe(t);
    expect(parseMicros('2026-01-01T12:00:00Z')).toBe(Date.UTC(2026, 0, 1, 12) * 1000);
    expect(parseMicros('2026-01-01T12:00:00.5+01:00')).toBe(Date.UTC(2026, 0, 1, 11) * 1000 + 500_000);
    expect(Number.isNaN(parseMicros('yesterday'))).toBe(true);
  });

  it('is monotonic and measures durations in milliseconds', () => {
    let prev = nowMicros();
    for (let i = 0; i < 1000; i++) {
      const next = nowMicros();
      expect(next).toBeGreaterThanOrEqual(prev);
      prev = next;
    }
    expect(durationMs('2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:01.250500Z')).toBe(1250.5);
  });
});
