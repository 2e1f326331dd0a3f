import { describe, expect, it } from 'vitest';
import { currentSpanContext, formatTraceparent, parseTraceparent, runWithSpanContext } from '../../src/instrumentation/index.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('parses and formats W3C traceparent', () => {
    const ctx = parseTraceparent(`00-${T}-${S}-01`, 'congo=t61rcWkgMzE');
    expect(ctx).toEqual({ traceId: T, spanId: S, traceFlags: 1, traceState: 'congo=t61rcWkgMzE' });
    expect(formatTraceparent(ctx!)).toBe(`00-${T}-${S}-01`);
    expect(formatTraceparent({ traceId: T, spanId: S })).toBe(`00-${T}-${S}-01`);
    expect(parseTraceparent(`00-${T}-${S}-00`)?.traceFlags).toBe(0);
    // A future version may append fields.
    expect(parseTraceparent(`01-${T}-${S}-01-extra`)?.traceId).toBe(T);
  });

  it('rejects malformed values', () => {
    for (const bad of [
      undefined,
      42,
      '',
      `00-${T}-${S}`,
      `00-${T.toUpperCase()}-${S}-01`,
      `00-${'0'.repeat(32)}-${S}-01`,
      `00-${T}-${'0'.repeat(16)}-01`,
      `ff-${T}-${S}-01`,
      `00-${T}-${S}-01-extra`,
      'x'.repeat(10_000),
    ]) {
      expect(parseTraceparent(bad), String(bad).slice(0, 60)).toBeUndefined();
    }
    expect(parseTraceparent(`00-${T}-${S}-01`, 'x'.repeat(1000))?.traceState).toBeUndefined();
  });
});

describe('span context storage', () => {
  it('follows async work started inside runWithSpanContext, and only that', async () => {
    expect(currentSpanContext()).toBeUndefined();
    const ctx = { traceId: T, spanId: S };
    const seen = await runWithSpanContext(ctx, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentSpanContext();
    });
    expect(seen).toBe(ctx);
    expect(currentSpanContext()).toBeUndefined();
  });
});
