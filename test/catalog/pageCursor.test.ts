import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, queryFingerprint } from '../../src/catalog/pageCursor.js';
import { suggestIds } from '../../src/catalog/suggestIds.js';
import { budgetPage } from '../../src/catalog/budgetPage.js';
import { clipText } from '../../src/catalog/clipText.js';

describe('pageCursor', () => {
  const f = queryFingerprint(['get_trace', 'sess-1', { status: 'error' }]);

  it('round-trips positions and is opaque base64url', () => {
    const c = encodeCursor({ o: 150, s: 'sess-1' }, f);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c, f)).toEqual({ o: 150, s: 'sess-1' });
  });

  it('rejects garbage, tampering and cursors of another query', () => {
    expect(() => decodeCursor('', f)).toThrow(/not one this server issued/);
    expect(() => decodeCursor('%%%', f)).toThrow(/not one this server issued/);
    expect(() => decodeCursor(Buffer.from('{"v":1,"o":-5,"f":"x"}').toString('base64url'), f)).toThrow(/not one this server issued/);
    expect(() => decodeCursor(Buffer.from('[1,2]').toString('base64url'), f)).toThrow(/not one this server issued/);
    expect(() => decodeCursor(encodeCursor({ o: 1 }, queryFingerprint(['other'])), f)).toThrow(/different session or different filters/);
  });
});

describe('suggestIds', () => {
  const known = ['20260105-101500-9f2c4e1a', '20260105-101500-9f2c4e1b', 'weather-agent-1', 'other-session'];
  it('prefers prefixes, then substrings, then small edit distances', () => {
    expect(suggestIds('20260105-1015', known)).toEqual(['20260105-101500-9f2c4e1a', '20260105-101500-9f2c4e1b']);
    expect(suggestIds('agent', known)).toEqual(['weather-agent-1']);
    expect(suggestIds('wether-agent-1', known)).toEqual(['weather-agent-1']);
    expect(suggestIds('zzzzzzzzzz', known)).toEqual([]);
  });
});

describe('budgetPage and clipText', () => {
  it('always takes at least one item and stops at the budget', () => {
    const big = budgetPage(10, 0, 10, 100, (i) => ({ line: 'x'.repeat(500), row: i }));
    expect(big.rows).toEqual([0]);
    expect(big.next).toBe(1);
    const all = budgetPage(3, 1, 10, 100_000, (i) => ({ line: String(i), row: i }));
    expect(all).toEqual({ lines: ['1', '2'], rows: [1, 2] });
  });
  it('marks cut text with its full length', () => {
    expect(clipText('abc', 5)).toBe('abc');
    expect(clipText('a'.repeat(2000), 10)).toBe(`${'a'.repeat(10)}… [cut: 2,000 chars in all]`);
  });
});
