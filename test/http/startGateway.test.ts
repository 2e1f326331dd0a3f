import { createServer } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInspectorError } from '../../src/core/errors.js';
import { startGateway } from '../../src/http/startGateway.js';
import { rawRequest, startFixture, type GatewayFixture } from './gatewayFixture.js';

let fx: GatewayFixture;

beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => fx?.close());

async function call(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const res = await request(`${fx.gateway.url}${path}`, { method: (init.method ?? 'GET') as 'GET', headers: init.headers ?? {}, body: init.body ?? null });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, any> };
}

describe('startGateway', () => {
  it('starts on a free port, logs a one-time sign-in link (no token in it) and the 256-bit token on its own line', async () => {
    expect(fx.gateway.url).toBe(`http://127.0.0.1:${fx.gateway.port}`);
    expect(fx.gateway.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const logs = fx.logs.join('\n');
    expect(logs).toMatch(new RegExp(`gateway at ${fx.gateway.url}/#code=[A-Za-z0-9_-]{22}\n`));
    expect(logs).toContain(`API token: ${fx.gateway.token} `);
    expect(logs.split('\n').filter((l) => l.includes('#code=') && l.includes(fx.gateway.token))).toEqual([]);
    const a = fx.gateway.signInUrl();
    expect(a).toMatch(new RegExp(`^${fx.gateway.url}/#code=[A-Za-z0-9_-]{22}$`));
    expect(fx.gateway.signInUrl()).not.toBe(a);
  });

  it('GET /_inspector/health -> { name, version }', async () => {
    const res = await call('/_inspector/health');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ name: 'mcpscope', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('404 for unknown routes, 405 with Allow for wrong methods, 400/414 for bad targets', async () => {
    expect((await call('/nope')).status).toBe(404);
    expect((await call('/_inspector/health/extra')).status).toBe(404);
    expect((await call('/_inspector/%68ealth')).status).toBe(404);
    const wrong = await call('/_inspector/health', { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers['allow']).toBe('GET, HEAD');
    expect((await call('/_inspector/signal/abcdef', { method: 'GET' })).status).toBe(405);
    expect((await call('/_inspector/events', { method: 'DELETE' })).status).toBe(405);
    expect((await call(`/_inspector/${'x'.repeat(5000)}`)).status).toBe(414);
    const star = await rawRequest(fx.gateway.port, `OPTIONS * HTTP/1.1\r\nHost: ${fx.host}\r\nConnection: close\r\n\r\n`);
    expect(star.status).toBe(400);
    const error = (await call('/nope')).json();
    expect(error).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  it('403 for a foreign Host (DNS rebinding) or Origin before anything runs', async () => {
    for (const host of ['evil.example', `evil.example:${fx.gateway.port}`, '127.0.0.1:1', `127.0.0.1.nip.io:${fx.gateway.port}`]) {
      const res = await rawRequest(fx.gateway.port, `GET /_inspector/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect(res.status, host).toBe(403);
    }
    const noHost = await rawRequest(fx.gateway.port, 'GET /_inspector/health HTTP/1.0\r\n\r\n');
    expect(noHost.status).toBe(403);
    for (const host of [`localhost:${fx.gateway.port}`, `[::1]:${fx.gateway.port}`, `LOCALHOST:${fx.gateway.port}`]) {
      expect((await call('/_inspector/health', { headers: { host } })).status, host).toBe(200);
    }
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${fx.gateway.port + 1}`, `https://127.0.0.1:${fx.gateway.port}`]) {
      // Even a 404 route and a POST with a valid token are refused first.
      expect((await call('/nope', { headers: { origin } })).status, origin).toBe(403);
      const post = await call('/_inspector/cancel/abcdef', { method: 'POST', headers: { origin, authorization: `Bearer ${fx.gateway.token}` } });
      expect(post.status).toBe(403);
    }
    expect((await call('/_inspector/health', { headers: { origin: `http://localhost:${fx.gateway.port}` } })).status).toBe(200);
  });

  it('403 UNAUTHORIZED (no OAuth challenge) without or with a wrong token on POST routes and /mcp; both header forms accepted', async () => {
    const body = JSON.stringify({ signal: 'pause' });
    const json = { 'content-type': 'application/json' };
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { 'x-inspector-token': 'x' }, { authorization: `Basic ${fx.gateway.token}` }, { authorization: `Bearer ${fx.gateway.token}x` }]) {
      const res = await call('/_inspector/signal/abcdef', { method: 'POST', headers: { ...json, ...headers }, body });
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('pass the token printed at start') } });
      expect((await call('/mcp', { method: 'POST', headers: { ...json, ...headers }, body: '{}' })).status).toBe(403);
    }
    // With the token the request reaches the handler (no control: unknown session).
    for (const headers of [{ authorization: `Bearer ${fx.gateway.token}` }, { 'x-inspector-token': fx.gateway.token }]) {
      expect((await call('/_inspector/signal/abcdef', { method: 'POST', headers: { ...json, ...headers }, body })).status).toBe(404);
    }
    // GET routes on a loopback bind need no token.
    expect((await call('/_inspector/sessions')).status).toBe(200);
  });

  it('refuses a non-loopback bind without an explicit token, and bad options', async () => {
    const base = { tracesDir: fx.dir, port: 0, log: () => undefined };
    const codeOf = (p: Promise<unknown>) => p.then(() => 'started', (e: unknown) => (isInspectorError(e) ? `${e.code}: ${e.message}` : String(e)));
    expect(await codeOf(startGateway({ ...base, host: '0.0.0.0' }))).toMatch(/^INVALID_ARGUMENT: .*non-loopback.*token/);
    expect(await codeOf(startGateway({ ...base, host: '192.168.1.10' }))).toMatch(/^INVALID_ARGUMENT/);
    expect(await codeOf(startGateway({ ...base, token: 'short' }))).toMatch(/^INVALID_ARGUMENT: .*16 characters/);
    expect(await codeOf(startGateway({ ...base, port: 70000 }))).toMatch(/^INVALID_ARGUMENT/);
  });

  it('rejects with UNAVAILABLE when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await startGateway({ tracesDir: fx.dir, port, log: () => undefined }).then(
        (g) => g.close().then(() => undefined),
        (e: unknown) => e,
      );
      expect(isInspectorError(err, 'UNAVAILABLE')).toBe(true);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('accepts a given token, configured hosts and origins, with CORS only for configured origins', async () => {
    const token = 'a-long-enough-test-token-123';
    const local = await startFixture({ token, allowedOrigins: ['https://ui.example'], allowedHosts: ['inspector.test'] });
    try {
      expect(local.gateway.token).toBe(token);
      const res = await request(`${local.gateway.url}/_inspector/health`, { headers: { host: `inspector.test:${local.gateway.port}`, origin: 'https://ui.example' } });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('https://ui.example');
      const pre = await request(`${local.gateway.url}/_inspector/signal/abcdef`, {
        method: 'OPTIONS',
        headers: { origin: 'https://ui.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      await pre.body.dump();
      expect(pre.statusCode).toBe(204);
      expect(String(pre.headers['access-control-allow-headers'])).toMatch(/Authorization/);
    } finally {
      await local.close();
    }
  });

  it('GET / serves the built UI page under a strict CSP, without the token', async () => {
    const res = await call('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(String(res.headers['content-security-policy'])).toMatch(/script-src 'self';/);
    expect(res.text).toMatch(/<script type="module" src="\/assets\/main-[\w]+\.js"><\/script>/);
    expect(res.text).not.toContain(fx.gateway.token);
  });

  it('GET / without a built UI answers 503 with how to build it; the API still works', async () => {
    const local = await startFixture({ uiDir: join(fx.root, 'no-ui-here') });
    try {
      const res = await request(`${local.gateway.url}/`);
      const text = await res.body.text();
      expect(res.statusCode).toBe(503);
      expect(text).toContain('npm run build');
      expect(local.logs.join('\n')).toContain('browser UI unavailable');
      const health = await request(`${local.gateway.url}/_inspector/health`);
      await health.body.dump();
      expect(health.statusCode).toBe(200);
    } finally {
      await local.close();
    }
  });
});
