import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, jsonTextTooDeep, jsonValueTooDeep } from '../../src/core/jsonDepth.js';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('JSON depth limits', () => {
  it('counts array and object nesting in text, up to and past the limit', () => {
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonTextTooDeep(nested(20_000))).toBe(true);
    expect(jsonTextTooDeep(`${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`)).toBe(true);
    // Siblings do not add up: depth, not count.
    expect(jsonTextTooDeep(`[${Array.from({ length: 500 }, () => nested(50)).join(',')}]`)).toBe(false);
    expect(jsonTextTooDeep('42')).toBe(false);
    expect(jsonTextTooDeep('')).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes and backslashes included', () => {
    expect(jsonTextTooDeep(JSON.stringify({ s: '['.repeat(500) }))).toBe(false);
    expect(jsonTextTooDeep(JSON.stringify({ s: `\\"${'{'.repeat(500)}"\\` }))).toBe(false);
    expect(jsonTextTooDeep(JSON.stringify(['\\', nested(0)]) + nested(MAX_JSON_DEPTH + 1))).toBe(true);
  });

  it('measures parsed values without recursion; shared objects and cycles end', () => {
    expect(jsonValueTooDeep(JSON.parse(nested(MAX_JSON_DEPTH)))).toBe(false);
    expect(jsonValueTooDeep(JSON.parse(nested(MAX_JSON_DEPTH + 1)))).toBe(true);
    let deep: unknown = [];
    for (let i = 0; i < 50_000; i++) deep = { next: deep };
    expect(jsonValueTooDeep(deep)).toBe(true);
    expect(jsonValueTooDeep(undefined)).toBe(false);
    expect(jsonValueTooDeep('text')).toBe(false);
    const shared = { leaf: [1] };
    let wide: unknown = shared;
    for (let i = 0; i < 60; i++) wide = [wide, wide];
    expect(jsonValueTooDeep(wide)).toBe(false);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(jsonValueTooDeep(cycle)).toBe(false);
  });
});
