import { describe, expect, it } from 'vitest';
import { formatDuration, plural } from '../../src/core/formatDuration.js';

describe('formatDuration', () => {
  it('uses one rule: precision follows the magnitude', () => {
    const cases: Array<[number, string]> = [
      [0, '0 ms'],
      [0.319, '0.3 ms'],
      [0.04, '0.0 ms'],
      [7.44, '7.4 ms'],
      [9.96, '10 ms'],
      [12.5, '13 ms'],
      [1332, '1,332 ms'],
      [1727.2, '1,727 ms'],
      [9999.4, '9,999 ms'],
      [9999.6, '10.0 s'],
      [12_345, '12.3 s'],
      [59_960, '1 min 00 s'],
      [187_000, '3 min 07 s'],
      [7_500_000, '2 h 05 min'],
    ];
    for (const [ms, text] of cases) expect([ms, formatDuration(ms)]).toEqual([ms, text]);
  });

  it('answers ? for values that are not durations', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(formatDuration(bad)).toBe('?');
  });
});

describe('plural', () => {
  it('says 1 error, 0 errors, 2 errors, 1,000 spans', () => {
    expect(plural(1, 'error')).toBe('1 error');
    expect(plural(0, 'error')).toBe('0 errors');
    expect(plural(2, 'error')).toBe('2 errors');
    expect(plural(1000, 'span')).toBe('1,000 spans');
    expect(plural(2, 'newest session', 'newest sessions')).toBe('2 newest sessions');
  });
});
