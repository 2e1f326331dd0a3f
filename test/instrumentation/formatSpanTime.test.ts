import { describe, expect, it } from 'vitest';
import { formatMicros, nowMicros } from '../../src/core/time.js';
import { formatSpanTime } from '../../src/instrumentation/formatSpanTime.js';

describe('formatSpanTime', () => {
  it('formats exactly as core formatMicros, across seconds, days and odd inputs', () => {
    const now = nowMicros();
    const samples = [0, 1, 999_999, 1_000_000, 1_700_000_000_000_000, 1_700_000_000_999_999.6, now, now + 1, now + 999_999, -1, -1_000_001, 86_400_000_000 - 1];
    for (let i = 0; i < 2000; i++) samples.push(now + i * 7919 + (i % 3) * 0.4);
    for (const v of samples) expect(formatSpanTime(v)).toBe(formatMicros(v));
  });

  it('falls back to formatMicros outside four-digit years', () => {
    for (const v of [-62_135_596_800_000_001, 253_402_300_800_000_000]) expect(() => formatSpanTime(v)).not.toThrow();
    expect(formatSpanTime(-62_135_596_800_000_001)).toBe(formatMicros(-62_135_596_800_000_001));
  });
});
