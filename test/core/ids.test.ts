import { describe, expect, it } from 'vitest';
import { assertSessionId, isSessionId, isSpanId, isTraceId, newSessionId, newSpanId, newTraceId } from '../../src/core/ids.js';
import { isInspectorError } from '../../src/core/errors.js';

describe('session ids', () => {
  it('accepts 6-128 characters of letters, digits, _ and -', () => {
    for (const id of ['abcdef', 'A_b-9z', 'x'.repeat(128), '20260101-120000-deadbeef']) {
      expect(assertSessionId(id)).toBe(id);
    }
  });

  it.each([
    ['too short', 'abc'],
    ['too long', 'a'.repeat(129)],
    ['200 characters', 'b'.repeat(200)],
    ['dot-dot', '../etc/passwd'],
    ['only dots', '......'],
    ['slash', 'abc/def'],
    ['encoded slash', 'abc%2Fdef'],
    ['NUL', 'abcdef\0'],
    ['space', 'abc def'],
    ['unicode', 'séssion1'],
    ['empty', ''],
  ])('rejects %s with INVALID_SESSION_ID', (_label, id) => {
    expect(isSessionId(id)).toBe(false);
    try {
      assertSessionId(id);
      expect.unreachable('should throw');
    } catch (err) {
      expect(isInspectorError(err, 'INVALID_SESSION_ID')).toBe(true);
      expect((err as Error).message).toMatch(/invalid session id/);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('rejects non-strings', () => {
    expect(() => assertSessionId(42)).toThrow(/invalid session id number/);
    expect(() => assertSessionId(undefined)).toThrow(/invalid session id/);
  });

  it('makes fresh ids that are valid, unique and sort by time', () => {
    const a = newSessionId(new Date('2026-01-01T00:00:00Z'));
    const b = newSessionId(new Date('2026-01-02T00:00:00Z'));
    expect(isSessionId(a)).toBe(true);
    expect(a < b).toBe(true);
    expect(a.startsWith('20260101-000000-')).toBe(true);
    expect(new Set(Array.from({ length: 200 }, () => newSessionId())).size).toBe(200);
    expect(newSessionId(new Date(), 'proxy')).toMatch(/^proxy-\d{8}-\d{6}-[0-9a-f]{8}$/);
  });
});

describe('W3C ids', () => {
  it('makes trace and span ids in W3C form', () => {
    for (let i = 0; i < 50; i++) {
      expect(newTraceId()).toMatch(/^[0-9a-f]{32}$/);
      expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('rejects all-zero, uppercase and wrong-length ids', () => {
    expect(isTraceId('0'.repeat(32))).toBe(false);
    expect(isSpanId('0'.repeat(16))).toBe(false);
    expect(isTraceId('A'.repeat(32))).toBe(false);
    expect(isSpanId('a'.repeat(15))).toBe(false);
    expect(isTraceId('a'.repeat(32))).toBe(true);
  });
});
