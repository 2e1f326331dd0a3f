import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attr } from '../../src/core/span.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { connectInspector, sizeOf, textOf, type InspectorConnection } from '../fixtures/traces/inspectorClient.js';
import { fixtureSpan, tempTracesDir, writeFixtureTrace, type FixtureTrace } from '../fixtures/traces/generateTrace.js';

describe('get_span', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let conn: InspectorConnection;
  let fixture: FixtureTrace;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempTracesDir());
    fixture = await writeFixtureTrace({ tracesDir: dir, sessionId: 'span-session', spans: 10, errorEvery: 4 });
    // A span with a huge (cut) JSON body, an invalid JSON body and a non-JSON long string.
    const writer = createTraceWriter({ tracesDir: dir, sessionId: 'huge-session', title: 'huge', engine: 'proxy' });
    const big = fixtureSpan('huge-session', 0, {});
    big.attributes[Attr.RESPONSE_JSON] = JSON.stringify({ result: { content: [{ type: 'text', text: 'y'.repeat(29_000) }] } });
    big.attributes[Attr.TOOL_OUTPUT_JSON] = '{"cut": "in the mid';
    big.attributes['custom.notes'] = 'n'.repeat(50_000);
    big.events = [{ name: 'progress', time: big.start_time, attributes: { pct: 50 } }];
    writer.write(big);
    await writer.close();
    conn = await connectInspector({ tracesDir: dir, watch: false, byteBudget: 20_000 });
  });
  afterAll(async () => {
    await conn?.close();
    await cleanup?.();
  });

  it('shows the whole span with JSON attributes parsed and pretty-printed', async () => {
    const errorId = fixture.errorSpanIds[0]!;
    const result = await conn.call('get_span', { session_id: 'span-session', span_id: errorId });
    expect(result.isError).toBeFalsy();
    const { span, cut_values } = result.structuredContent as { span: any; cut_values: string[] };
    expect(span.span_id).toBe(errorId);
    expect(span.status.status_code).toBe('ERROR');
    expect(span.attributes[Attr.REQUEST_JSON]).toMatchObject({ jsonrpc: '2.0', method: expect.any(String) });
    expect(cut_values).toEqual([]);
    const text = textOf(result);
    expect(text).toContain('"jsonrpc": "2.0"'); // pretty-printed
    expect(text).toMatch(/failed: invalid input/);
  });

  it('cuts long values with a marker giving their length, and stays under the budget', async () => {
    const result = await conn.call('get_span', { session_id: 'huge-session', span_id: '0000000000000001' });
    expect(result.isError).toBeFalsy();
    expect(sizeOf(result)).toBeLessThanOrEqual(20_000);
    const { cut_values, span } = result.structuredContent as { span: any; cut_values: string[] };
    expect(cut_values).toEqual(expect.arrayContaining([Attr.RESPONSE_JSON, 'custom.notes']));
    expect(textOf(result)).toMatch(/\[cut: 50,000 chars in all\]/);
    expect(span.attributes[Attr.TOOL_OUTPUT_JSON]).toBe('{"cut": "in the mid'); // not JSON: kept as text
    expect(span.events[0].name).toBe('progress');
  });

  it('accepts upper-case ids and rejects malformed or unknown ones clearly', async () => {
    const upper = await conn.call('get_span', { session_id: 'span-session', span_id: fixture.spanIds[2]!.toUpperCase() });
    expect(upper.isError).toBeFalsy();
    const malformed = await conn.call('get_span', { session_id: 'span-session', span_id: 'xyz' });
    expect(malformed.isError).toBe(true);
    expect(textOf(malformed)).toMatch(/INVALID_ARGUMENT.*16 hex/);
    const unknown = await conn.call('get_span', { session_id: 'span-session', span_id: '00000000000000ff' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/SPAN_NOT_FOUND.*Did you mean/);
    const noSession = await conn.call('get_span', { session_id: 'span-sessions', span_id: fixture.spanIds[0] });
    expect(noSession.isError).toBe(true);
    expect(textOf(noSession)).toMatch(/Did you mean: span-session/);
    const missingArg = await conn.call('get_span', { session_id: 'span-session' });
    expect(missingArg.isError).toBe(true);
  });
});
