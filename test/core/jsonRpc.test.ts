import { describe, expect, it } from 'vitest';
import { classifyMessage, detectableId, invalidReason, isLossyId } from '../../src/core/jsonRpc.js';

describe('classifyMessage', () => {
  it('tells requests, notifications and responses apart', () => {
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, method: 'ping' })).toBe('request');
    expect(classifyMessage({ jsonrpc: '2.0', id: 'a', method: 'ping', params: {} })).toBe('request');
    expect(classifyMessage({ jsonrpc: '2.0', method: 'notifications/initialized' })).toBe('notification');
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, result: {} })).toBe('response');
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, result: null })).toBe('response');
    expect(classifyMessage({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } })).toBe('response');
  });

  it('calls everything else invalid, with a reason', () => {
    const bad: unknown[] = [
      { jsonrpc: '2.0' },
      { id: 1, method: 'x' },
      { jsonrpc: '1.0', id: 1, method: 'x' },
      { jsonrpc: '2.0', id: 1, method: 5 },
      { jsonrpc: '2.0', id: {}, method: 'x' },
      { jsonrpc: '2.0', id: null, result: {} },
      { jsonrpc: '2.0', id: 1, result: {}, error: {} },
      42,
      'str',
      null,
    ];
    for (const msg of bad) {
      expect(classifyMessage(msg)).toBe('invalid');
      expect(invalidReason(msg)).toMatch(/\w/);
    }
  });

  it('finds ids where it can and flags ids JSON.parse rounded', () => {
    expect(detectableId({ jsonrpc: '1.0', id: 7 })).toBe(7);
    expect(detectableId({ id: {} })).toBeNull();
    expect(detectableId('x')).toBeNull();
    expect(isLossyId(JSON.parse('9007199254740993'))).toBe(true);
    expect(isLossyId(9007199254740991)).toBe(false);
    expect(isLossyId('9007199254740993')).toBe(false);
  });
});
