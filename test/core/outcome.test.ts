import { describe, expect, it } from 'vitest';
import { isRealError, OutcomeTally, sessionOutcome, spanOutcome } from '../../src/core/outcome.js';
import type { Span } from '../../src/core/span.js';
import { makeSpan } from '../store/storeTestKit.js';

/** A span of `method` that ended with status ERROR and these attributes. */
function failed(method: string, attributes: Span['attributes'], description = 'failed'): Span {
  const base = makeSpan(1);
  return { ...base, name: method, status: { status_code: 'ERROR', description }, attributes: { 'mcp.method.name': method, ...attributes } };
}

describe('spanOutcome', () => {
  it('ok for OK and UNSET spans', () => {
    expect(spanOutcome(makeSpan(1))).toEqual({ kind: 'ok' });
    expect(spanOutcome({ ...makeSpan(2), status: { status_code: 'UNSET' } })).toEqual({ kind: 'ok' });
  });

  it('tool errors, JSON-RPC errors and transport failures are real errors', () => {
    const tool = failed('tools/call', { 'gen_ai.tool.name': 'read_text_file', 'error.type': 'tool_error' }, 'Access denied - path outside allowed directories');
    expect(spanOutcome(tool)).toEqual({ kind: 'tool_error', reason: 'Access denied - path outside allowed directories' });
    expect(spanOutcome(failed('tools/call', { 'error.type': '-32602', 'mcp.error.code': -32602 }))).toMatchObject({ kind: 'rpc_error' });
    expect(spanOutcome(failed('tools/call', { 'error.type': 'connection_closed' }, 'upstream exited with code 1'))).toMatchObject({ kind: 'transport_error' });
    expect(spanOutcome(failed('tools/call', { 'error.type': 'abandoned' }, 'abandoned'))).toMatchObject({ kind: 'transport_error', reason: 'abandoned' });
    expect(spanOutcome(failed('tools/call', { 'error.type': '-32001', 'mcp.error.code': -32001 }, 'Request timed out'))).toMatchObject({ kind: 'transport_error' });
    expect(spanOutcome(failed('jsonrpc.invalid', { 'error.type': 'parse_error' }))).toMatchObject({ kind: 'rpc_error' });
    expect(spanOutcome({ ...makeSpan(3), status: { status_code: 'ERROR' }, attributes: {} })).toMatchObject({ kind: 'rpc_error', reason: 'error' });
  });

  it('probes answered "method not found" are benign, other methods answered so are not', () => {
    for (const method of ['server/discover', 'prompts/list', 'resources/templates/list', 'logging/setLevel']) {
      expect(spanOutcome(failed(method, { 'error.type': '-32601', 'mcp.error.code': -32601 }, 'Method not found'))).toMatchObject({ kind: 'benign' });
    }
    // the code may only be in rpc.response.status_code (another producer)
    expect(spanOutcome(failed('server/discover', { 'rpc.response.status_code': '-32601' }))).toMatchObject({ kind: 'benign' });
    expect(spanOutcome(failed('tools/call', { 'error.type': '-32601', 'mcp.error.code': -32601 }))).toMatchObject({ kind: 'rpc_error' });
    expect(spanOutcome(failed('resources/read', { 'error.type': '-32601', 'mcp.error.code': -32601 }))).toMatchObject({ kind: 'rpc_error' });
    expect(spanOutcome(failed('server/discover', { 'error.type': '-32603', 'mcp.error.code': -32603 }))).toMatchObject({ kind: 'rpc_error' });
  });

  it('server-to-client requests left unanswered when the client left are benign; client calls cut off are not', () => {
    expect(spanOutcome(failed('roots/list', { 'error.type': 'connection_closed' }, 'client closed the connection'))).toMatchObject({ kind: 'benign' });
    expect(spanOutcome(failed('elicitation/create', { 'error.type': 'connection_closed' }))).toMatchObject({ kind: 'benign' });
    expect(spanOutcome(failed('tools/call', { 'error.type': 'connection_closed' }, 'client closed the connection'))).toMatchObject({ kind: 'transport_error' });
    expect(spanOutcome(failed('roots/list', { 'error.type': '-32603', 'mcp.error.code': -32603 }))).toMatchObject({ kind: 'rpc_error' });
    // a person rejecting a call at a breakpoint is a decision, not a failure
    expect(spanOutcome(failed('tools/call', { 'error.type': '-32010', 'mcp.error.code': -32010 }, 'not on my watch'))).toMatchObject({ kind: 'benign', reason: 'rejected at a breakpoint: not on my watch' });
    expect(isRealError(failed('roots/list', { 'error.type': 'connection_closed' }))).toBe(false);
  });
});

describe('OutcomeTally and sessionOutcome', () => {
  it('counts real errors by kind with one example each, clipped', () => {
    const tally = new OutcomeTally();
    tally.add(makeSpan(1));
    tally.add(failed('server/discover', { 'error.type': '-32601' }));
    tally.add(failed('tools/call', { 'gen_ai.tool.name': 'read_text_file', 'error.type': 'tool_error' }, 'Access denied - path outside allowed directories: /etc/hostname not in /tmp/x'));
    tally.add(failed('tools/call', { 'gen_ai.tool.name': 'read_text_file', 'error.type': 'tool_error' }, 'Access denied again'));
    tally.add(failed('tools/call', { 'error.type': 'connection_closed' }, 'upstream exited\nwith code 1'));
    expect(tally.errors).toBe(3);
    expect(tally.benign).toBe(1);
    expect(tally.reason()).toBe('2 tool errors: read_text_file Access denied - path outside allowed directories: /etc/hostname…; 1 transport error: tools/call upstream exited with code 1');
    expect(tally.reason(40)).toHaveLength(40);
    expect(new OutcomeTally().reason()).toBeUndefined();
  });

  it('a completed session with real errors is failed; a failed one keeps its reason first; noise alone stays completed', () => {
    const errors = new OutcomeTally();
    errors.add(failed('tools/call', { 'gen_ai.tool.name': 'echo', 'error.type': 'tool_error' }, 'bad'));
    const noise = new OutcomeTally();
    noise.add(failed('server/discover', { 'error.type': '-32601' }));
    expect(sessionOutcome({ status: 'completed', reason: 'client closed the connection' }, errors)).toEqual({ status: 'failed', reason: '1 tool error: echo bad' });
    expect(sessionOutcome({ status: 'completed', reason: 'client closed the connection' }, noise)).toEqual({ status: 'completed', reason: 'client closed the connection' });
    expect(sessionOutcome({ status: 'failed', reason: 'upstream exited with code 1' }, errors)).toEqual({ status: 'failed', reason: 'upstream exited with code 1; 1 tool error: echo bad' });
    // calls cut off by the upstream's death are that death, not a second story
    const cutOff = new OutcomeTally();
    cutOff.add(failed('tools/call', { 'error.type': 'connection_closed' }, 'upstream exited with code 1'));
    expect(sessionOutcome({ status: 'failed', reason: 'upstream exited with code 1' }, cutOff)).toEqual({ status: 'failed', reason: 'upstream exited with code 1' });
    expect(sessionOutcome({ status: 'failed' }, cutOff)).toEqual({ status: 'failed', reason: '1 transport error: tools/call upstream exited with code 1' });
    expect(sessionOutcome({ status: 'failed', reason: 'abandoned' }, noise)).toEqual({ status: 'failed', reason: 'abandoned' });
    expect(sessionOutcome({ status: 'cancelled', reason: 'user' }, errors)).toEqual({ status: 'cancelled', reason: 'user' });
    expect(sessionOutcome({ status: 'completed', error_count: 2 }, new OutcomeTally())).toEqual({ status: 'failed', reason: '2 errors in an earlier part of the trace' });
  });
});
