import { describe, expect, it } from 'vitest';
import { chooseParent } from '../../src/instrumentation/parentChoice.js';
import type { SpanContext } from '../../src/instrumentation/traceContext.js';

const ctx = (n: string): SpanContext => ({ traceId: n.repeat(32), spanId: n.repeat(16), traceFlags: 1 });
const current = ctx('a');
const related = ctx('b');
const meta = { traceparent: `00-${'c'.repeat(32)}-${'c'.repeat(16)}-01` };

describe('chooseParent', () => {
  it('received: the carried trace context first, then the current one', () => {
    expect(chooseParent('inbound', { current, meta, propagate: true, related: () => related })?.spanId).toBe('c'.repeat(16));
    expect(chooseParent('inbound', { current, meta: undefined, propagate: true })).toBe(current);
    expect(chooseParent('inbound', { current, meta, propagate: false })).toBe(current);
  });

  it('sent: the current context, then the related inbound request, then the carried context', () => {
    expect(chooseParent('outbound', { current, meta, propagate: true, related: () => related })).toBe(current);
    expect(chooseParent('outbound', { current: undefined, meta, propagate: true, related: () => related })).toBe(related);
    expect(chooseParent('outbound', { current: undefined, meta, propagate: true, related: () => undefined })?.spanId).toBe('c'.repeat(16));
    expect(chooseParent('outbound', { current: undefined, meta: { traceparent: 'garbage' }, propagate: true })).toBeUndefined();
  });

  it('the inferred cause comes last in both directions, and is only looked up when needed', () => {
    const cause = ctx('d');
    let lookups = 0;
    const inferred = (): SpanContext => (lookups++, cause);
    expect(chooseParent('outbound', { current: undefined, meta: undefined, propagate: true, cause: inferred })).toBe(cause);
    expect(chooseParent('inbound', { current: undefined, meta: undefined, propagate: true, cause: inferred })).toBe(cause);
    expect(lookups).toBe(2);
    expect(chooseParent('outbound', { current: undefined, meta, propagate: true, cause: inferred })?.spanId).toBe('c'.repeat(16));
    expect(chooseParent('outbound', { current: undefined, meta: undefined, propagate: true, related: () => related, cause: inferred })).toBe(related);
    expect(chooseParent('inbound', { current, meta: undefined, propagate: true, cause: inferred })).toBe(current);
    expect(lookups).toBe(2);
    expect(chooseParent('outbound', { current: undefined, meta: undefined, propagate: true, cause: () => undefined })).toBeUndefined();
  });
});
