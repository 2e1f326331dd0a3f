import { describe, expect, it } from 'vitest';
import { jsonMemberText } from '../../src/instrumentation/jsonMemberText.js';

describe('jsonMemberText', () => {
  it('cuts a nested member out of the text as sent', () => {
    const text = '{"method":"tools/call","params":{"name":"echo","arguments":{"text":"a \\"quoted\\" }{ ][ \\\\"}},"jsonrpc":"2.0","id":1}';
    const slice = jsonMemberText(text, ['params', 'arguments'])!;
    expect(slice).toBe('{"text":"a \\"quoted\\" }{ ][ \\\\"}');
    expect(JSON.parse(slice)).toEqual(JSON.parse(text).params.arguments);
    expect(jsonMemberText(text, ['id'])).toBe('1');
  });

  it('keeps whitespace, number spelling and ids above 2^53 exactly', () => {
    const text = ' { "params" : { "arguments" : { "n" : 1.50 , "big" : 9007199254740993 } } , "id" : 2 } ';
    expect(jsonMemberText(text, ['params', 'arguments'])).toBe('{ "n" : 1.50 , "big" : 9007199254740993 }');
    expect(jsonMemberText(text, ['id'])).toBe('2');
  });

  it('takes the last of repeated keys, as JSON.parse does', () => {
    expect(jsonMemberText('{"result":1,"result":{"x":[1,{"y":"}"}]}}', ['result'])).toBe('{"x":[1,{"y":"}"}]}');
  });

  it('does not look inside other members or strings for the key', () => {
    const text = '{"a":{"result":1},"b":"\\"result\\":2","result":[3]}';
    expect(jsonMemberText(text, ['result'])).toBe('[3]');
    expect(jsonMemberText('{"a":{"result":1}}', ['result'])).toBeUndefined();
  });

  it('gives up (undefined) on escaped keys, absent paths, non-objects and malformed text', () => {
    expect(jsonMemberText('{"res\\u0075lt":{"x":1}}', ['result'])).toBeUndefined();
    expect(jsonMemberText('{"x\\"y":1,"result":2}', ['result'])).toBe('2');
    expect(jsonMemberText('{"params":{}}', ['params', 'arguments'])).toBeUndefined();
    expect(jsonMemberText('{"params":[1]}', ['params', 'arguments'])).toBeUndefined();
    expect(jsonMemberText('[{"result":1}]', ['result'])).toBeUndefined();
    expect(jsonMemberText('{"result":"unterminated', ['result'])).toBeUndefined();
    expect(jsonMemberText('{"result":{"a":1', ['result'])).toBeUndefined();
    expect(jsonMemberText('', ['result'])).toBeUndefined();
  });

  it('agrees with JSON.parse on many generated messages', () => {
    for (let i = 0; i < 200; i++) {
      const args = { s: `v${i} "q" \\ é ${'x'.repeat(i)}`, n: i / 7, list: [i, { deep: [String(i)] }], empty: {} };
      const text = JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 't', arguments: args, _meta: { k: '}' } } });
      expect(jsonMemberText(text, ['params', 'arguments'])).toBe(JSON.stringify(args));
    }
  });
});
