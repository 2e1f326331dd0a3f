import { describe, expect, it } from 'vitest';
import { isInspectorError } from '../../src/core/errors.js';
import { createRedactor } from '../../src/instrumentation/index.js';

describe('createRedactor', () => {
  const r = createRedactor();

  it('redacts authorization headers, secret-named keys and bearer tokens inside strings', () => {
    const input = {
      headers: { Authorization: 'Basic dXNlcjpwYXNz', 'X-Api-Key': 'k-123' },
      api_key: 'sk-abcdefghijklmnopqrstuvwxyz',
      config: { client_secret: 'cs', nested: { password: 'p', user: 'ada' } },
      note: 'call it with Bearer eyJhbGciOi.payload-part.sig and go',
      url: 'https://api.test/v1?user=ada&access_token=abcdef&x=1',
      credentials: { user: 'u', pin: 'p' },
    };
    const out = r.redactValue(input);
    expect(out).toEqual({
      headers: { Authorization: '[REDACTED]', 'X-Api-Key': '[REDACTED]' },
      api_key: '[REDACTED]',
      config: { client_secret: '[REDACTED]', nested: { password: '[REDACTED]', user: 'ada' } },
      note: 'call it with Bearer [REDACTED] and go',
      url: 'https://api.test/v1?user=ada&access_token=[REDACTED]&x=1',
      credentials: { user: '[REDACTED]', pin: '[REDACTED]' },
    });
    expect(input.headers.Authorization).toBe('Basic dXNlcjpwYXNz'); // the input is not mutated
  });

  it('finds well-known key formats in free text', () => {
    const text = 'keys: ghp_abcdefghijklmnopqrstuvwxyz0123456789 AKIAABCDEFGHIJKLMNOP xoxb-1234567890-abc';
    expect(r.redactValue(text)).toBe('keys: [REDACTED] [REDACTED] [REDACTED]');
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----';
    expect(r.redactValue({ file: pem })).toEqual({ file: '[REDACTED]' });
  });

  it('leaves progressToken, cursors and numeric token counts alone', () => {
    const input = { _meta: { progressToken: 'abc' }, cursor: 'c1', nextCursor: 'c2', maxTokens: 100, usage: { inputTokens: 5 } };
    expect(r.redactValue(input)).toBe(input);
    const text = JSON.stringify(input);
    expect(r.redactJson(text)).toBe(text);
  });

  it('returns the same text and reference when nothing is secret (the cheap path)', () => {
    const value = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello' } } };
    const text = JSON.stringify(value);
    expect(r.mayContainSecret(text)).toBe(false);
    expect(r.redactJson(text, value)).toBe(text);
    expect(r.redactValue(value)).toBe(value);
  });

  it('sees keys hidden behind JSON escapes', () => {
    const text = '{"\\u0074oken":"abc"}';
    expect(JSON.parse(r.redactJson(text))).toEqual({ token: '[REDACTED]' });
  });

  it('redacts recognisable secrets in text that is not JSON', () => {
    const text = '{"password": "hunter2", "progressToken": "p1", Authorization: Bearer abcdefgh1234';
    const out = r.redactJson(text);
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('abcdefgh1234');
    expect(out).toContain('"progressToken": "p1"');
  });

  it('is configurable: off, extra key and value patterns, allowed keys, replaced defaults', () => {
    const secret = { password: 'p', session_cookie_id: 'c' };
    expect(createRedactor({ enabled: false }).redactValue(secret)).toBe(secret);
    expect(createRedactor({ enabled: false }).mayContainSecret('password')).toBe(false);

    const custom = createRedactor({ keyPatterns: ['^ssn$'], valuePatterns: [/\b\d{4}-\d{4}-\d{4}-\d{4}\b/], allowKeys: ['password'], replacement: '***' });
    expect(custom.redactValue({ ssn: '123', card: 'pay 1234-5678-9012-3456 now', password: 'kept', token: 't' })).toEqual({
      ssn: '***',
      card: 'pay *** now',
      password: 'kept',
      token: '***',
    });
    const text = '{"ssn":"1"}';
    expect(custom.mayContainSecret(text)).toBe(true);

    const only = createRedactor({ replaceDefaults: true, keyPatterns: [/^pin$/i] });
    expect(only.redactValue({ PIN: '1', password: 'p' })).toEqual({ PIN: '[REDACTED]', password: 'p' });
    expect(only.mayContainSecret('{"password":"p"}')).toBe(false);
  });

  it('survives pathological input', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(() => r.redactValue(deep)).not.toThrow();
    expect(() => r.redactJson('{"token":', undefined)).not.toThrow();
    expect(r.redactValue(null)).toBe(null);
    expect(r.redactValue([1, 'x', { secret: 's' }])).toEqual([1, 'x', { secret: '[REDACTED]' }]);
  });

  it('rejects malformed options with INVALID_ARGUMENT', () => {
    for (const bad of [{ keyPatterns: ['('] }, { enabled: 'yes' }, { unknownOption: 1 }, { valuePatterns: [''] }]) {
      let caught: unknown;
      try {
        createRedactor(bad as never);
      } catch (err) {
        caught = err;
      }
      expect(isInspectorError(caught, 'INVALID_ARGUMENT'), JSON.stringify(bad)).toBe(true);
    }
  });
});
