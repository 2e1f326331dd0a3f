import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from '../../src/proxy/sseParser.js';

describe('createSseParser', () => {
  it('parses events split anywhere, with any line ending', () => {
    const events: SseEvent[] = [];
    const parser = createSseParser((e) => events.push(e));
    const text = '\ufeff: comment\r\nevent: message\r\nid: 1\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata:{"b":2}\r\rid: 3\ndata: x\n\n';
    for (const ch of text) parser.push(ch);
    expect(events).toEqual([
      { event: 'message', data: '{"a":\n1}', id: '1' },
      { event: undefined, data: '{"b":2}', id: '1' },
      { event: undefined, data: 'x', id: '3' },
    ]);
    expect(parser.lastEventId).toBe('3');
  });

  it('ignores events without data and unknown fields', () => {
    const events: SseEvent[] = [];
    const parser = createSseParser((e) => events.push(e));
    parser.push('retry: 100\n\nevent: ping\n\nfoo: bar\ndata\n\n');
    expect(events).toEqual([{ event: undefined, data: '', id: undefined }]);
    expect(parser.retryMs).toBe(100);
  });

  it('keeps the last valid retry field and ignores malformed ones', () => {
    const parser = createSseParser(() => {});
    expect(parser.retryMs).toBeUndefined();
    parser.push('retry: 2500\n\nretry: 1.5\n\nretry: -3\n\nretry:\n\n');
    expect(parser.retryMs).toBe(2500);
    parser.push('retry:40\r\n\r\n');
    expect(parser.retryMs).toBe(40);
  });
});
