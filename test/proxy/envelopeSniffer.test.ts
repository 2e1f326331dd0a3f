import { describe, expect, it } from 'vitest';
import { EnvelopeSniffer, oversizeReader, type OversizeLine } from '../../src/proxy/envelopeSniffer.js';

/** Sniffs `text` fed in pieces of `size` bytes. */
function sniff(text: string, size = Infinity) {
  const bytes = Buffer.from(text);
  const s = new EnvelopeSniffer();
  const step = Math.min(size, bytes.length) || 1;
  for (let i = 0; i < bytes.length; i += step) s.push(bytes.subarray(i, i + step));
  return s.result();
}

describe('EnvelopeSniffer', () => {
  it('reads the id wherever it is, as the SDK writes it (method and params first)', () => {
    const text = '{"method":"tools/call","params":{"name":"x","arguments":{"id":5,"s":"}\\"id\\":6"}},"jsonrpc":"2.0","id":42}';
    for (const size of [1, 2, 7, 1000]) expect(sniff(text, size)).toEqual({ idText: '42', method: 'tools/call', response: false });
  });

  it('keeps the id as written: strings with quotes and escapes, numbers beyond 2^53, 1e400', () => {
    expect(sniff('{"id":"a\\"b","method":"m"}').idText).toBe('"a\\"b"');
    expect(sniff('{"id" : 9007199254740993 , "method":"m"}').idText).toBe('9007199254740993');
    expect(sniff('{"jsonrpc":"2.0","id":1e400}').idText).toBe('1e400');
    expect(sniff('{"id":-7}').idText).toBe('-7');
  });

  it('reads no id where there is none, or where it is not a string or number', () => {
    expect(sniff('{"jsonrpc":"2.0","method":"notifications/x","params":{"id":1}}')).toEqual({ idText: undefined, method: 'notifications/x', response: false });
    expect(sniff('{"id":{"a":1},"method":"m"}').idText).toBeUndefined();
    expect(sniff('{"id":null,"method":"m"}').idText).toBeUndefined();
    expect(sniff('{"id":true}').idText).toBeUndefined();
    expect(sniff('[{"id":1}]').idText).toBeUndefined();
    expect(sniff('not json at all "id":3').idText).toBeUndefined();
    expect(sniff(`{"id":"${'x'.repeat(5000)}"}`).idText).toBeUndefined();
  });

  it('tells responses, and reads an id cut off by the end of the line', () => {
    expect(sniff('{"jsonrpc":"2.0","id":3,"result":{"big":"...')).toEqual({ idText: '3', method: undefined, response: true });
    expect(sniff('{"jsonrpc":"2.0","error":{"code":1},"id":"e"}')).toMatchObject({ idText: '"e"', response: true });
    expect(sniff('{"jsonrpc":"2.0","method":"m","id":12').idText).toBe('12');
  });

  it('takes the last of repeated members, as JSON.parse does', () => {
    expect(sniff('{"id":1,"method":"a","id":2}').idText).toBe('2');
  });
});

describe('oversizeReader', () => {
  it('hands over each line with its envelope, its first bytes and its length', () => {
    const seen: OversizeLine[] = [];
    const reader = oversizeReader(100, (line) => seen.push(line));
    const big = `{"method":"m","params":{"blob":"${'y'.repeat(5000)}"},"id":9}`;
    reader.data(Buffer.from(big.slice(0, 3000)));
    reader.data(Buffer.from(big.slice(3000)));
    reader.end(big.length);
    reader.data(Buffer.from('garbage'));
    reader.end(7);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ envelope: { idText: '9', method: 'm' }, bytes: big.length, limit: 100 });
    expect(seen[0]!.head).toBe(big.slice(0, 1024));
    expect(seen[1]).toMatchObject({ envelope: { idText: undefined, method: undefined }, head: 'garbage', bytes: 7 });
  });
});
