import { describe, expect, it } from 'vitest';
import type { Span } from '../../src/core/span.js';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { createRpcRecorder } from '../../src/instrumentation/index.js';
import { validSpans } from './mcpPair.js';

function recorder() {
  const sink = new InMemorySpanSink();
  const rec = createRpcRecorder({ sink, sessionId: 'ids-session', transport: 'stdio' });
  const spans = (): Span[] => {
    rec.flush();
    return validSpans(sink.spans);
  };
  return { rec, spans };
}

/** A message as it travels: its text, and what JSON.parse makes of it. */
const raw = (text: string): [unknown, string] => [JSON.parse(text), text];

describe('createRpcRecorder with ids JSON.parse rounds', () => {
  it('keeps 2^53, 2^53+1 and the string "9007199254740993" apart, answered in reverse order', () => {
    const { rec, spans } = recorder();
    rec.received(...raw('{"jsonrpc":"2.0","id":9007199254740992,"method":"a"}'));
    rec.received(...raw('{"jsonrpc":"2.0","id":9007199254740993,"method":"b"}'));
    rec.received(...raw('{"jsonrpc":"2.0","id":"9007199254740993","method":"c"}'));
    expect(rec.openRequests()).toBe(3);
    rec.sent(...raw('{"jsonrpc":"2.0","id":"9007199254740993","result":{"r":"c"}}'));
    rec.sent(...raw('{"jsonrpc":"2.0","id":9007199254740993,"result":{"r":"b"}}'));
    rec.sent(...raw('{"jsonrpc":"2.0","id":9007199254740992,"result":{"r":"a"}}'));
    expect(rec.openRequests()).toBe(0);
    const all = spans();
    expect(all.map((s) => s.status.status_code)).toEqual(['OK', 'OK', 'OK']);
    const pairs = all.map((s) => [s.attributes['mcp.method.name'], s.attributes['jsonrpc.request.id'], JSON.parse(String(s.attributes['mcp.rpc.response_json'])).result.r]);
    expect(pairs.sort()).toEqual([
      ['a', '9007199254740992', 'a'],
      ['b', '9007199254740993', 'b'],
      ['c', '9007199254740993', 'c'],
    ]);
  });

  it('records an id of 1e400 (Infinity to JSON.parse) as a request, by its text', () => {
    const { rec, spans } = recorder();
    rec.received(...raw('{"jsonrpc":"2.0","id":1e400,"method":"ping"}'));
    rec.sent(...raw('{"jsonrpc":"2.0","id":1e400,"result":{}}'));
    const [span] = spans();
    expect(span).toMatchObject({ name: 'ping', status: { status_code: 'OK' } });
    expect(span!.attributes['jsonrpc.request.id']).toBe('1e400');
  });

  it('ends a reused huge id as a duplicate only when its text repeats', () => {
    const { rec, spans } = recorder();
    rec.received(...raw('{"jsonrpc":"2.0","id":9007199254740993,"method":"a"}'));
    rec.received(...raw('{"jsonrpc":"2.0","id":9007199254740993,"method":"b"}'));
    const [span] = spans();
    expect(span!.status.status_code).toBe('ERROR');
    expect(span!.status.description).toContain('request id 9007199254740993 was reused');
  });
});
