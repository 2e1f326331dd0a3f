import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/http/errors.js';
import { createSecurity, isLoopbackHost, newAccessToken } from '../../src/http/security.js';

// Only headers are read; a plain object stands in for the request.
const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

function statusOf(fn: () => void): number {
  try {
    fn();
    return 0;
  } catch (err) {
    return err instanceof HttpError ? err.status : -1;
  }
}

describe('security', () => {
  const token = newAccessToken();

  it('classifies loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.0.1', 'example.com', '127.0.0.1.nip.io']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('requires the token on every route when bound to a non-loopback address', () => {
    expect(createSecurity({ host: '0.0.0.0', port: 7800, token }).tokenEverywhere).toBe(true);
    expect(createSecurity({ host: '127.0.0.1', port: 7800, token }).tokenEverywhere).toBe(false);
  });

  it('checks Host and Origin against loopback names with the bound port and configured values', () => {
    const s = createSecurity({ host: '127.0.0.1', port: 7800, token, allowedHosts: ['box.lan', 'proxy.lan:443'], allowedOrigins: ['https://ui.example/'] });
    for (const host of ['127.0.0.1:7800', 'localhost:7800', '[::1]:7800', 'box.lan:7800', 'proxy.lan:443']) expect(statusOf(() => s.checkHostAndOrigin(req({ host }))), host).toBe(0);
    for (const host of ['127.0.0.1', 'localhost:7801', 'box.lan:80', 'evil.com:7800', '']) expect(statusOf(() => s.checkHostAndOrigin(req({ host }))), host).toBe(403);
    const ok = (origin: string) => statusOf(() => s.checkHostAndOrigin(req({ host: '127.0.0.1:7800', origin })));
    expect(ok('http://127.0.0.1:7800')).toBe(0);
    expect(ok('https://ui.example')).toBe(0);
    expect(ok('http://ui.example')).toBe(403);
    expect(ok('null')).toBe(403);
    expect(s.corsHeaders(req({ origin: 'https://ui.example' }))['Access-Control-Allow-Origin']).toBe('https://ui.example');
    // Same-origin loopback pages need no CORS, so none is sent.
    expect(s.corsHeaders(req({ origin: 'http://127.0.0.1:7800' }))).toEqual({});
  });

  it('compares tokens in constant time over digests, accepting Bearer or X-Inspector-Token', () => {
    const s = createSecurity({ host: '127.0.0.1', port: 1, token });
    expect(statusOf(() => s.checkToken(req({ authorization: `Bearer ${token}` })))).toBe(0);
    expect(statusOf(() => s.checkToken(req({ authorization: `bearer   ${token}` })))).toBe(0);
    expect(statusOf(() => s.checkToken(req({ 'x-inspector-token': token })))).toBe(0);
    for (const h of [{}, { authorization: token }, { authorization: `Bearer ${token.slice(1)}` }, { 'x-inspector-token': `${token}${token}` }, { authorization: 'Bearer ' }]) {
      expect(statusOf(() => s.checkToken(req(h as Record<string, string>)))).toBe(403);
    }
  });
});
