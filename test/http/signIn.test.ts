import type { IncomingMessage } from 'node:http';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createSignIn, readCookie } from '../../src/http/signIn.js';
import { startFixture } from './gatewayFixture.js';

const withCookie = (cookie: string | undefined) => ({ headers: cookie === undefined ? {} : { cookie } }) as IncomingMessage;

describe('createSignIn', () => {
  it('redeems a code once, for a cookie secret that is not the code; expired and unknown codes fail', () => {
    let now = 1_000;
    const s = createSignIn({ port: 7800, codeTtlMs: 100, now: () => now });
    expect(s.cookieName).toBe('mcpscope_7800');
    const code = s.newCode();
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const secret = s.redeemCode(code)!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.redeemCode(code)).toBeUndefined();
    expect(s.hasSession(withCookie(`other=1; mcpscope_7800=${secret}`))).toBe(true);
    expect(s.hasSession(withCookie(`mcpscope_7801=${secret}`))).toBe(false);
    const late = s.newCode();
    now += 101;
    expect(s.redeemCode(late)).toBeUndefined();
    expect(s.redeemCode('')).toBeUndefined();
    expect(s.redeemCode('x'.repeat(10_000))).toBeUndefined();
    s.closeSession(withCookie(`mcpscope_7800=${secret}`));
    expect(s.hasSession(withCookie(`mcpscope_7800=${secret}`))).toBe(false);
    expect(s.cookie('abc')).toBe('mcpscope_7800=abc; HttpOnly; SameSite=Strict; Path=/');
    expect(s.cookie('abc', true)).toBe('mcpscope_7800=abc; HttpOnly; SameSite=Strict; Path=/; Secure');
  });

  it('bounds outstanding codes and sessions, dropping the oldest', () => {
    const s = createSignIn({ port: 1, maxCodes: 2, maxSessions: 2 });
    const [a, b, c] = [s.newCode(), s.newCode(), s.newCode()];
    expect(s.redeemCode(a)).toBeUndefined();
    const [x, y] = [s.redeemCode(b)!, s.redeemCode(c)!];
    const z = s.openSession();
    expect([x, y, z].map((v) => s.hasSession(withCookie(`mcpscope_1=${v}`)))).toEqual([false, true, true]);
  });

  it('readCookie takes one well-formed value and refuses duplicates and odd characters', () => {
    expect(readCookie('a=1; b=2', 'b')).toBe('2');
    expect(readCookie('a=1', 'b')).toBeUndefined();
    expect(readCookie(undefined, 'b')).toBeUndefined();
    expect(readCookie('b=1; b=2', 'b')).toBeUndefined();
    expect(readCookie('b=<script>', 'b')).toBeUndefined();
    expect(readCookie(`b=${'x'.repeat(9000)}`, 'b')).toBeUndefined();
  });
});

describe('sign-in on a gateway bound off loopback (token on every route)', () => {
  it('keeps the page, assets and sign-in public, and a signed-in browser reads every route with its cookie', async () => {
    const fx = await startFixture({ host: '0.0.0.0', token: 'a-sufficiently-long-token' });
    try {
      const base = `http://127.0.0.1:${fx.gateway.port}`;
      const get = async (path: string, headers: Record<string, string> = {}) => {
        const res = await request(`${base}${path}`, { headers });
        await res.body.dump();
        return res.statusCode;
      };
      expect(await get('/')).toBe(200);
      expect(await get('/_inspector/sessions')).toBe(403);
      expect(await get('/no/such/route')).toBe(403);
      const auth = await request(`${base}/_inspector/auth`);
      expect(await auth.body.json()).toEqual({ signed_in: false, sign_in_required_to_read: true });
      const code = /#code=(\S+)/.exec(fx.gateway.signInUrl())![1];
      const login = await request(`${base}/_inspector/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ code }) });
      expect(login.statusCode).toBe(200);
      expect(await login.body.json()).toEqual({ signed_in: true });
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      expect(await get('/_inspector/sessions', { cookie })).toBe(200);
      expect(await get('/no/such/route', { cookie })).toBe(404);
      const events = await request(`${base}/_inspector/events`, { method: 'HEAD', headers: { cookie } });
      await events.body.dump();
      expect(events.statusCode).toBe(200);
    } finally {
      await fx.close();
    }
  });
});
