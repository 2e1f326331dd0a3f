import { EventEmitter } from 'node:events';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { createRelatedRouter } from '../../src/proxy/relatedRouter.js';

const msg = (m: Record<string, unknown>) => ({ jsonrpc: '2.0', ...m }) as JSONRPCMessage;
const stream = () => new EventEmitter() as EventEmitter & { once(event: 'close', listener: () => void): unknown };
const log = msg({ method: 'notifications/message', params: { level: 'info', data: 'x' } });

describe('createRelatedRouter', () => {
  it('relates requests and notifications to the request of the only open POST stream, until it is answered', () => {
    const r = createRelatedRouter();
    expect(r.toClient(log)).toBeUndefined();
    const call = msg({ id: 7, method: 'tools/call', params: { name: 'x' } });
    r.posted(call, stream());
    r.fromClient(call);
    expect(r.toClient(log)).toBe(7);
    expect(r.toClient(msg({ id: 's1', method: 'sampling/createMessage', params: {} }))).toBe(7);
    expect(r.toClient(msg({ id: 7, result: {} }))).toBeUndefined();
    expect(r.toClient(log)).toBeUndefined();
  });

  it('relates nothing when two streams are open, except progress to the owner of its token', () => {
    const r = createRelatedRouter();
    const a = msg({ id: 'a', method: 'tools/call', params: { name: 'x', _meta: { progressToken: 'tok' } } });
    const b = msg({ id: 'b', method: 'tools/call', params: { name: 'y' } });
    r.posted(a, stream());
    r.fromClient(a);
    r.posted(b, stream());
    r.fromClient(b);
    expect(r.toClient(log)).toBeUndefined();
    expect(r.toClient(msg({ method: 'notifications/progress', params: { progressToken: 'tok', progress: 1 } }))).toBe('a');
    expect(r.toClient(msg({ method: 'notifications/progress', params: { progressToken: 'other', progress: 1 } }))).toBeUndefined();
  });

  it('treats a batch as one stream, and forgets a stream the client closed', () => {
    const r = createRelatedRouter();
    const batch = [msg({ id: 1, method: 'ping' }), msg({ id: 2, method: 'tools/list' }), msg({ method: 'notifications/x' })];
    const res = stream();
    r.posted(batch, res);
    expect(r.toClient(log)).toBe(1);
    res.emit('close');
    expect(r.toClient(log)).toBeUndefined();
    // A closed stream also stops progress relation (the message takes the GET stream).
    const c = msg({ id: 3, method: 'tools/call', params: { _meta: { progressToken: 9 } } });
    const cs = stream();
    r.posted(c, cs);
    r.fromClient(c);
    cs.emit('close');
    expect(r.toClient(msg({ method: 'notifications/progress', params: { progressToken: 9, progress: 1 } }))).toBeUndefined();
    // Bodies without requests and malformed bodies open no stream.
    r.posted(null, stream());
    r.posted({ id: {}, method: 'x' }, stream());
    expect(r.toClient(log)).toBeUndefined();
  });

  it('learns the protocol version from the initialize result only', () => {
    const r = createRelatedRouter();
    const init = msg({ id: 0, method: 'initialize', params: { protocolVersion: '2099-01-01' } });
    r.fromClient(init);
    r.toClient(msg({ id: 5, result: { protocolVersion: 'nope' } }));
    expect(r.protocolVersion).toBeUndefined();
    r.toClient(msg({ id: 0, result: { protocolVersion: '2099-01-01' } }));
    expect(r.protocolVersion).toBe('2099-01-01');
  });
});
