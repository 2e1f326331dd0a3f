import { describe, expect, it } from 'vitest';
import { parseBreakpointPattern } from '../../src/sessions/breakpointPattern.js';

const call = (name: string) => ({ method: 'tools/call', params: { name, arguments: {} } });

describe('parseBreakpointPattern', () => {
  it('matches a bare method', () => {
    const p = parseBreakpointPattern('tools/call');
    expect(p.matches(call('echo'))).toBe(true);
    expect(p.matches({ method: 'tools/list' })).toBe(false);
  });

  it('matches the tool name glob', () => {
    const p = parseBreakpointPattern('tools/call:delete_*');
    expect(p.matches(call('delete_file'))).toBe(true);
    expect(p.matches(call('delete_'))).toBe(true);
    expect(p.matches(call('undelete_file'))).toBe(false);
    expect(p.matches({ method: 'tools/call' })).toBe(false);
    expect(p.matches({ method: 'tools/call', params: 'junk' })).toBe(false);
  });

  it('matches resource URIs containing colons, and method globs', () => {
    const p = parseBreakpointPattern('resources/read:file:///tmp/*');
    expect(p.matches({ method: 'resources/read', params: { uri: 'file:///tmp/x.txt' } })).toBe(true);
    expect(p.matches({ method: 'resources/read', params: { uri: 'file:///etc/passwd' } })).toBe(false);
    expect(parseBreakpointPattern('tools/*').matches({ method: 'tools/list' })).toBe(true);
    expect(parseBreakpointPattern('tools/call:ech?').matches(call('echo'))).toBe(true);
  });

  it('treats regex characters literally', () => {
    const p = parseBreakpointPattern('tools/call:a.b+(c)');
    expect(p.matches(call('a.b+(c)'))).toBe(true);
    expect(p.matches(call('aXbb(c)'))).toBe(false);
  });

  it('rejects malformed patterns with a clear error', () => {
    for (const bad of ['', ':x', 'tools/call:', 'tools call', 'tools/call\n']) {
      expect(() => parseBreakpointPattern(bad)).toThrow(/invalid breakpoint/);
    }
  });
});
