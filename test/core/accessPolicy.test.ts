import { describe, expect, it } from 'vitest';
import { createAccessPolicy, isLoopbackHost, newAccessToken } from '../../src/core/accessPolicy.js';

describe('createAccessPolicy', () => {
  const token = newAccessToken();
  const policy = createAccessPolicy({ host: '127.0.0.1', port: 7800, token, allowedHosts: ['inspector.test'], allowedOrigins: ['https://ui.test/'] });

  it('allows loopback names and configured hosts with the bound port only', () => {
    for (const host of ['127.0.0.1:7800', 'localhost:7800', '[::1]:7800', 'LOCALHOST:7800', 'inspector.test:7800']) {
      expect(policy.hostAllowed({ host })).toBe(true);
    }
    for (const host of [undefined, '', 'evil.test:7800', '127.0.0.1:7801', 'localhost', 'localhost.evil.test:7800']) {
      expect(policy.hostAllowed({ host })).toBe(false);
    }
  });

  it('allows an absent Origin, loopback origins and configured ones; CORS only for configured', () => {
    expect(policy.originAllowed({})).toBe(true);
    expect(policy.originAllowed({ origin: 'http://localhost:7800' })).toBe(true);
    expect(policy.originAllowed({ origin: 'https://ui.test' })).toBe(true);
    expect(policy.originAllowed({ origin: 'http://evil.test' })).toBe(false);
    expect(policy.originAllowed({ origin: 'null' })).toBe(false);
    expect(policy.originConfigured({ origin: 'https://ui.test' })).toBe(true);
    expect(policy.originConfigured({ origin: 'http://localhost:7800' })).toBe(false);
  });

  it('accepts the token as Bearer or X-Inspector-Token and tells missing from invalid', () => {
    expect(policy.checkToken({ authorization: `Bearer ${token}` })).toBe('ok');
    expect(policy.checkToken({ 'x-inspector-token': token })).toBe('ok');
    expect(policy.checkToken({})).toBe('missing');
    expect(policy.checkToken({ authorization: 'Basic abc' })).toBe('missing');
    expect(policy.checkToken({ authorization: `Bearer ${token}x` })).toBe('invalid');
    expect(policy.checkToken({ 'x-inspector-token': token.slice(0, 10) })).toBe('invalid');
  });

  it('needs the token everywhere only on a non-loopback bind', () => {
    expect(policy.tokenEverywhere).toBe(false);
    expect(createAccessPolicy({ host: '0.0.0.0', port: 1, token }).tokenEverywhere).toBe(true);
    expect(isLoopbackHost('127.1.2.3')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('192.168.1.1')).toBe(false);
    expect(newAccessToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
