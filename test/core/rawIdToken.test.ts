import { describe, expect, it } from 'vitest';
import { rawIdToken } from '../../src/core/rawIdToken.js';

describe('rawIdToken', () => {
  it('returns the exact text of a huge numeric id', () => {
    expect(rawIdToken('{"jsonrpc":"2.0","id":9007199254740993,"method":"x"}')).toBe('9007199254740993');
    expect(rawIdToken('{ "method" : "x" , "id" : -123456789012345678901234567890 }')).toBe('-123456789012345678901234567890');
  });

  it('skips nested values and strings that mention "id"', () => {
    const text = '{"params":{"id":1,"s":"\\"id\\":2","a":[{"id":3}]},"note":"}","id":18446744073709551615}';
    expect(rawIdToken(text)).toBe('18446744073709551615');
  });

  it('returns string ids with their quotes, and undefined when there is no id', () => {
    expect(rawIdToken('{"id":"a\\"b"}')).toBe('"a\\"b"');
    expect(rawIdToken('{"jsonrpc":"2.0","method":"n"}')).toBeUndefined();
    expect(rawIdToken('[{"id":1}]')).toBeUndefined();
    expect(rawIdToken('{"id":')).toBeUndefined();
  });
});
