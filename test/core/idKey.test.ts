import { describe, expect, it } from 'vitest';
import { findById, idKey, type IdKey } from '../../src/core/idKey.js';

describe('idKey and findById', () => {
  const table = (entries: Array<{ id: string | number; raw?: string }>) => new Map<IdKey, { id: string | number; raw?: string }>(entries.map((e) => [idKey(e.id, e.raw), e]));

  it('keeps 2^53 and 2^53+1 apart by their raw tokens, and apart from the string of the same digits', () => {
    const a = { id: JSON.parse('9007199254740992') as number, raw: '9007199254740992' };
    const b = { id: JSON.parse('9007199254740993') as number, raw: '9007199254740993' };
    const c = { id: '9007199254740993' };
    const t = table([a, b, c]);
    expect(t.size).toBe(3);
    expect(findById(t, b.id, '9007199254740993')).toBe(b);
    expect(findById(t, a.id, '9007199254740992')).toBe(a);
    expect(findById(t, '9007199254740993', undefined)).toBe(c);
  });

  it('matches a lossy id by value when its text is unknown or names nothing (a peer that re-serialised it)', () => {
    const b = { id: JSON.parse('9007199254740993') as number, raw: '9007199254740993' };
    const t = table([b]);
    expect(findById(t, b.id, undefined)).toBe(b);
    expect(findById(t, b.id, '9007199254740992')).toBe(b);
    expect(findById(t, 7, undefined)).toBeUndefined();
  });

  it('keys safe integers and strings by value, and lossy non-integers (1e400) by their parsed value', () => {
    expect(idKey(7, '7')).toBe(7);
    expect(idKey('x', undefined)).toBe('x');
    expect(idKey(Infinity, '1e400')).toBe(Infinity);
    expect(idKey(JSON.parse('9007199254740993') as number, '9007199254740993')).toBe(9007199254740993n);
  });
});
