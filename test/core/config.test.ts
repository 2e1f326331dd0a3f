import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePort, resolveConfig } from '../../src/core/config.js';

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
});
