import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startListenServer, type ListenServerHandle, type ListenServerOptions } from '../../src/proxy/listenServer.js';
import { probeWithOAuthClient } from './oauthCapableClient.js';
import { TOY_SERVER } from './proxyHarness.js';

const TOKEN = 'listen-unit-token-0123456789';
let servers: ListenServerHandle[] = [];
let logs = '';

async function listen(overrides: Partial<ListenServerOptions> = {}): Promise<ListenServerHandle> {
  const stderr = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs += chunk.toString();
      cb();
    },
  });
  const server = await startListenServer({
    listen: 'http://127.0.0.1:0/mcp',
    upstream: { kind: 'stdio', command: process.execPath, args: [TOY_SERVER] },
    token: TOKEN,
    stderr,
    graceMs: 500,
    ...overrides,
  });
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
  logs = '';
});

describe('startListenServer: clients without the token', () => {
  it('an OAuth-capable SDK client shows our message and starts no OAuth discovery', async () => {
    const server = await listen();
    for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
      const probe = await probeWithOAuthClient(server.url, headers);
      expect(probe.error).toMatch(/pass the token printed at start as Authorization: Bearer/);
      expect(probe.redirected).toBe(false);
      expect(probe.requested.filter((u) => u.includes('/.well-known/'))).toEqual([]);
      expect(probe.requested).toEqual([server.url]);
    }
    expect(server.sessions()).toHaveLength(0);
  });
});
