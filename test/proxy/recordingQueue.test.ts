import { describe, expect, it } from 'vitest';
import { InMemorySpanSink } from '../../src/core/spanSink.js';
import { nowMicros, parseMicros } from '../../src/core/time.js';
import { createRpcRecorder } from '../../src/instrumentation/rpcRecorder.js';
import { createRecordingQueue, type RecordingQueueOptions } from '../../src/proxy/recordingQueue.js';

const SESSION = '20260101-000000-abcdef01';

function setup(options: RecordingQueueOptions = { delayMs: 0 }) {
  const sink = new InMemorySpanSink();
  const recorder = createRpcRecorder({ sink, sessionId: SESSION, transport: 'stdio', autoFlush: false });
  const queue = createRecordingQueue(recorder, options);
  const pair = (id: number) => {
    const req = `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"t${id}"}}}`;
    const resp = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"t${id}"}]}}`;
    queue.received(JSON.parse(req), req);
    queue.sent(JSON.parse(resp), resp);
  };
  return { sink, queue, pair };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('createRecordingQueue', () => {
  it('records nothing on the caller path, then everything in order with the times messages were seen', async () => {
    const { sink, queue, pair } = setup();
    const before = nowMicros();
    pair(1);
    const seen = nowMicros();
    const until = Date.now() + 20;
    while (Date.now() < until) {
      // busy: the recording must not take the time it runs at
    }
    expect(sink.spans).toHaveLength(0);
    await turn();
    await turn();
    expect(sink.spans).toHaveLength(1);
    const span = sink.spans[0]!;
    expect(span.name).toBe('tools/call echo');
    expect(span.attributes['mcp.tool.input_json']).toBe('{"text":"t1"}');
    expect(JSON.parse(span.attributes['mcp.rpc.response_json'] as string).result).toEqual({ content: [{ type: 'text', text: 't1' }] });
    const start = parseMicros(span.start_time);
    expect(start).toBeGreaterThanOrEqual(before);
    expect(start).toBeLessThanOrEqual(seen);
    expect(parseMicros(span.end_time)).toBeLessThanOrEqual(seen);
  });

  it('records a backlog in slices, letting other work run in between', async () => {
    const { sink, queue, pair } = setup({ delayMs: 0, sliceMs: 0 });
    for (let i = 0; i < 200; i++) pair(i);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await turn();
      counts.push(sink.spans.length);
    }
    expect(counts[0]).toBeLessThan(200);
    expect(counts[2]).toBeGreaterThan(counts[0]!);
    expect(queue.stats().spans).toBe(200);
    expect(sink.spans.map((s) => s.attributes['jsonrpc.request.id'])).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
  });

  it('never lets a message wait more than maxLagMs: an older backlog is recorded in one slice', async () => {
    const backlogAfterOneTurn = async (maxLagMs: number) => {
      const { sink, queue, pair } = setup({ delayMs: 0, sliceMs: 0, maxLagMs });
      for (let i = 0; i < 200; i++) pair(i);
      const until = Date.now() + 25;
      while (Date.now() < until) {
        // the event loop is held past maxLagMs (a burst of forwarding, say)
      }
      await turn();
      const recorded = sink.spans.length;
      expect(queue.stats().spans).toBe(200);
      return recorded;
    };
    expect(await backlogAfterOneTurn(15)).toBe(200);
    // Within the lag bound, a slice stops at sliceMs as before (here: after one message).
    expect(await backlogAfterOneTurn(10_000)).toBeLessThan(10);
  });

  it('waits delayMs after the first message of a batch, then records the whole batch', async () => {
    const { sink, queue, pair } = setup({ delayMs: 40 });
    pair(1);
    await turn();
    await turn();
    expect(sink.spans).toHaveLength(0);
    pair(2);
    for (let i = 0; i < 100 && sink.spans.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sink.spans.map((s) => s.attributes['jsonrpc.request.id'])).toEqual(['1', '2']);
    pair(3); // a new batch starts its own wait
    await turn();
    expect(sink.spans).toHaveLength(2);
    expect(queue.stats().spans).toBe(3);
  });

  it('starts at the next turn once backlogMessages are waiting, and stats() never waits', async () => {
    const { sink, queue, pair } = setup({ delayMs: 60_000, backlogMessages: 10 });
    for (let i = 0; i < 4; i++) pair(i);
    await turn();
    await turn();
    expect(sink.spans).toHaveLength(0);
    pair(4); // the 10th message
    await turn();
    await turn();
    expect(sink.spans).toHaveLength(5);
    pair(5);
    expect(queue.stats().spans).toBe(6);
    queue.close('done'); // the armed timer must not keep the process alive
  });

  it('records at the next turn while busyInFlight requests are open, in batches again below that', async () => {
    const { sink, queue } = setup({ delayMs: 60_000, busyInFlight: 2 });
    const req = (id: number) => queue.received({ jsonrpc: '2.0', id, method: 'ping' }, `{"jsonrpc":"2.0","id":${id},"method":"ping"}`);
    const resp = (id: number) => queue.sent({ jsonrpc: '2.0', id, result: {} }, `{"jsonrpc":"2.0","id":${id},"result":{}}`);
    req(1);
    resp(1);
    req(2);
    await turn();
    await turn();
    expect(sink.spans).toHaveLength(0); // one at a time: batched
    req(3); // two open
    await turn();
    await turn();
    expect(sink.spans).toHaveLength(1);
    resp(3); // back to one open: batched again
    resp(2);
    req(4);
    await turn();
    await turn();
    expect(sink.spans).toHaveLength(1);
    expect(queue.stats().spans).toBe(3);
    queue.close();
  });

  it('parses lines the router forwarded unparsed when it records them, keeping their exact bytes', async () => {
    const { sink, queue } = setup({ delayMs: 60_000, busyInFlight: 2 });
    const line = (text: string) => {
      const b = Buffer.from(`${text}\r\n`);
      return [b, b.length - 2] as const;
    };
    // Bytes JSON.parse would normalise: the recording keeps them as they were forwarded.
    const req = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"caf\\u00e9 1.50"}}}';
    queue.receivedLine(...line(req), 'request');
    queue.receivedLine(...line('{"jsonrpc":"2.0","id":8,"method":"ping"}'), 'request'); // two open: busy, records at the next turn
    await turn();
    await turn();
    expect(sink.spans).toHaveLength(0); // nothing answered yet
    queue.sentLine(...line('{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"café"}]}}'), 'response');
    queue.sentLine(...line('{"jsonrpc":"2.0","id":9,"result":{}}'), 'response'); // an answer to nothing: no span
    await turn();
    await turn();
    expect(sink.spans).toHaveLength(0); // one open again: batched, waiting out delayMs
    expect(queue.stats()).toMatchObject({ requests: 2, spans: 1 });
    expect(sink.spans).toHaveLength(1);
    const span = sink.spans[0]!;
    expect(span.name).toBe('tools/call echo');
    expect(span.attributes['mcp.rpc.request_json']).toBe(req);
    expect(span.attributes['mcp.rpc.response_json']).toContain('{"content":[{"type":"text","text":"café"}]}');
    queue.close('bye');
    expect(sink.spans.find((s) => s.name === 'ping')!.status).toEqual({ status_code: 'ERROR', description: 'bye' });
  });

  it('close() records what is queued, ends open requests, and ignores later calls', async () => {
    const { sink, queue, pair } = setup();
    pair(1);
    queue.received({ jsonrpc: '2.0', id: 2, method: 'hang' }, '{"jsonrpc":"2.0","id":2,"method":"hang"}');
    queue.malformed('received', '{oops', 'parse error');
    queue.close('bye');
    expect(sink.spans.map((s) => s.name).sort()).toEqual(['hang', 'jsonrpc.invalid', 'tools/call echo']);
    expect(sink.spans.find((s) => s.name === 'hang')!.status).toEqual({ status_code: 'ERROR', description: 'bye' });
    pair(3);
    queue.close('again');
    await turn();
    await turn();
    expect(sink.spans).toHaveLength(3);
    expect(queue.stats()).toMatchObject({ requests: 2, spans: 3 });
  });
});
