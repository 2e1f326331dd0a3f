import { describe, expect, it } from 'vitest';
import { classifyMessage, detectableId, isLossyId, kindOf } from '../../src/core/jsonRpc.js';

/** The kind under the proxy's rules. */
const forwardKind = (msg: unknown) => kindOf(classifyMessage(msg, 'forward'));

describe('classifyMessage (forward rules, as the proxy routes)', () => {
  it('tells requests, notifications and responses apart', () => {
    expect(forwardKind({ jsonrpc: '2.0', id: 1, method: 'ping' })).toBe('request');
    expect(forwardKind({ jsonrpc: '2.0', id: 'a', method: 'ping', params: {} })).toBe('request');
    expect(forwardKind({ jsonrpc: '2.0', method: 'notifications/initialized' })).toBe('notification');
    expect(forwardKind({ jsonrpc: '2.0', id: 1, result: {} })).toBe('response');
    expect(forwardKind({ jsonrpc: '2.0', id: 1, result: null })).toBe('response');
    expect(forwardKind({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } })).toBe('response');
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
      expect(forwardKind(msg)).toBe('invalid');
      const c = classifyMessage(msg, 'forward');
      expect(c.kind === 'invalid' && c.reason).toMatch(/\w/);
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

describe('classifyMessage (record rules, as the recorder reads)', () => {
  it('is lenient where the SDK is and strict on the shapes a span reads, unlike the forward rules', () => {
    const cases: Array<[unknown, string, string]> = [
      // message, kind under record, kind under forward
      [{ id: 1, method: 'ping' }, 'request', 'invalid'],
      [{ jsonrpc: '2.0', id: 1, method: 'ping', params: 'x' }, 'invalid', 'request'],
      [{ jsonrpc: '2.0', id: 1, error: 'x' }, 'invalid', 'error'],
      [{ jsonrpc: '2.0', id: 1, result: 1, error: {} }, 'result', 'invalid'],
      [{ jsonrpc: '2.0', id: 1, method: 5, result: 1 }, 'result', 'invalid'],
      [{ jsonrpc: '2.0', id: 7, error: { code: -1, message: 'm', data: 2 } }, 'error', 'error'],
      [[], 'invalid', 'invalid'],
    ];
    for (const [msg, record, forward] of cases) {
      expect(classifyMessage(msg).kind, JSON.stringify(msg)).toBe(record);
      expect(classifyMessage(msg, 'forward').kind, JSON.stringify(msg)).toBe(forward);
    }
    expect(classifyMessage({ jsonrpc: '2.0', id: 7, error: { code: -1, message: 'm', data: 2 } })).toEqual({ kind: 'error', id: 7, code: -1, message: 'm', data: 2 });
    expect(classifyMessage({ jsonrpc: '2.0', method: 'n', params: { a: 1 } })).toEqual({ kind: 'notification', method: 'n', params: { a: 1 } });
  });
});
