import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ClientOutlets, type Outlet } from '../../src/proxy/clientOutlets.js';

/** A response stand-in whose fill state the test sets (the real one is covered end to end in test/e2e/proxyListenLimits). */
class FakeResponse extends EventEmitter implements Outlet {
  statusCode = 200;
  destroyed = false;
  writableNeedDrain = false;
  close(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

describe('ClientOutlets', () => {
  it('sends a response and related messages to their request\'s POST, others to an accepted GET stream only', () => {
    const outlets = new ClientOutlets();
    const post = new FakeResponse();
    const refusedGet = new FakeResponse();
    refusedGet.statusCode = 409;
    const get = new FakeResponse();
    outlets.posted([{ jsonrpc: '2.0', id: 'a', method: 'tools/call' }, { jsonrpc: '2.0', method: 'notifications/x' }, null], post);
    outlets.opened(refusedGet);
    expect(outlets.target({ jsonrpc: '2.0', method: 'notifications/message' }, undefined)).toBeUndefined();
    outlets.opened(get);
    expect(outlets.target({ jsonrpc: '2.0', id: 'a', result: {} }, undefined)).toBe(post);
    expect(outlets.target({ jsonrpc: '2.0', method: 'notifications/message' }, 'a')).toBe(post);
    expect(outlets.target({ jsonrpc: '2.0', method: 'notifications/message' }, undefined)).toBe(get);
    // A server request with its own id goes by its relation, not its id.
    expect(outlets.target({ jsonrpc: '2.0', id: 'a', method: 'sampling/createMessage' }, undefined)).toBe(get);
    post.close();
    get.close();
    expect(outlets.target({ jsonrpc: '2.0', id: 'a', result: {} }, undefined)).toBeUndefined();
    expect(outlets.target({ jsonrpc: '2.0', method: 'notifications/message' }, undefined)).toBeUndefined();
  });

  it('waits while the response is over its high-water mark, until drain or close, and says so', async () => {
    const outlets = new ClientOutlets();
    let stalls = 0;
    const res = new FakeResponse();
    await outlets.writable(res, () => stalls++);
    await outlets.writable(undefined, () => stalls++);
    expect(stalls).toBe(0);
    res.writableNeedDrain = true;
    let done = false;
    const waiting = outlets.writable(res, () => stalls++).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(stalls).toBe(1);
    expect(done).toBe(false);
    res.writableNeedDrain = false;
    res.emit('drain');
    await waiting;
    expect(res.listenerCount('drain') + res.listenerCount('close')).toBe(0);
    res.writableNeedDrain = true;
    const closing = outlets.writable(res, () => stalls++);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    res.close();
    await closing;
    expect(stalls).toBe(2);
  });
});
