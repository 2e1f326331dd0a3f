import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllowedHost, parseAllowedOrigin, parsePort, resolveConfig } from '../../src/core/config.js';

describe('resolveConfig', () => {
  it('uses defaults when nothing is given', () => {
    expect(resolveConfig({}, {}, '/home/u')).toEqual({ tracesDir: join('/home/u', '.mcp_traces'), host: '127.0.0.1', port: 7800 });
  });

  it('lets the environment beat defaults and flags beat the environment', () => {
    const env = { MCP_TRACES_DIR: '/env/traces', MCPSCOPE_HOST: '127.0.0.2', MCPSCOPE_PORT: '9000', MCPSCOPE_TOKEN: 'envtoken' };
    expect(resolveConfig({}, env, '/home/u')).toEqual({ tracesDir: '/env/traces', host: '127.0.0.2', port: 9000, token: 'envtoken' });
    expect(resolveConfig({ tracesDir: '/flag', host: '127.0.0.3', port: '0', token: 'flagtoken' }, env, '/home/u')).toEqual({
      tracesDir: '/flag',
      host: '127.0.0.3',
      port: 0,
      token: 'flagtoken',
    });
  });

  it('treats empty environment values as unset', () => {
    expect(resolveConfig({}, { MCP_TRACES_DIR: '', MCPSCOPE_TOKEN: '' }, '/h').tracesDir).toBe(join('/h', '.mcp_traces'));
  });

  it('rejects bad ports with a clear error', () => {
    for (const bad of ['-1', '65536', 'http', '80a', '']) expect(() => parsePort(bad)).toThrow(/invalid port/);
    expect(() => resolveConfig({}, { MCPSCOPE_PORT: 'abc' })).toThrow(/invalid port "abc"/);
  });

  it('reads allowed hosts and origins from repeatable flags or comma lists in the environment; flags replace the variable', () => {
    const env = { MCPSCOPE_ALLOWED_HOSTS: ' A.example.com, b.example.com:8443 ,,', MCPSCOPE_ALLOWED_ORIGINS: 'https://UI.example.com/,http://[::1]:9000' };
    expect(resolveConfig({}, env, '/h')).toMatchObject({ allowedHosts: ['a.example.com', 'b.example.com:8443'], allowedOrigins: ['https://ui.example.com', 'http://[::1]:9000'] });
    expect(resolveConfig({ allowedHosts: ['c.example.com', 'd.example.com,[::1]:7800'], allowedOrigins: ['https://c.example.com:443'] }, env, '/h')).toMatchObject({
      allowedHosts: ['c.example.com', 'd.example.com', '[::1]:7800'],
      allowedOrigins: ['https://c.example.com'],
    });
    const none = resolveConfig({}, { MCPSCOPE_ALLOWED_HOSTS: '', MCPSCOPE_ALLOWED_ORIGINS: ' , ' }, '/h');
    expect(none.allowedHosts).toBeUndefined();
    expect(none.allowedOrigins).toBeUndefined();
  });

  it('rejects allowed hosts and origins that are not a bare name or origin', () => {
    for (const bad of ['http://a.example.com', 'a.example.com/path', 'user@a.example.com', 'a.example.com:99999', 'a b', '-a.example.com', '*.example.com']) {
      expect(() => parseAllowedHost(bad), bad).toThrow(/invalid allowed host/);
    }
    for (const bad of ['a.example.com', 'ftp://a.example.com', 'https://a.example.com/path', 'https://a.example.com?q', 'https://u:p@a.example.com', 'null', '*']) {
      expect(() => parseAllowedOrigin(bad), bad).toThrow(/invalid allowed origin/);
    }
    expect(() => resolveConfig({ allowedHosts: ['ok.example.com', 'http://bad'] }, {})).toThrow(/invalid allowed host "http:\/\/bad"/);
    expect(() => resolveConfig({}, { MCPSCOPE_ALLOWED_ORIGINS: 'bad' })).toThrow(/invalid allowed origin "bad"/);
  });

  it('reads retention limits from flags or the environment, 0 included, and rejects anything but a number >= 0', () => {
    expect(resolveConfig({}, {}, '/h')).not.toHaveProperty('retentionDays');
    expect(resolveConfig({}, { MCPSCOPE_RETENTION_DAYS: '7', MCPSCOPE_RETENTION_MAX_MB: '0' }, '/h')).toMatchObject({ retentionDays: 7, retentionMaxMb: 0 });
    expect(resolveConfig({ retentionDays: '1.5' }, { MCPSCOPE_RETENTION_DAYS: '7' }, '/h').retentionDays).toBe(1.5);
    for (const bad of ['-1', 'lots', '1e3', ' ']) {
      expect(() => resolveConfig({ retentionMaxMb: bad }, {}, '/h'), bad).toThrow(/expected a number >= 0/);
    }
  });
});
