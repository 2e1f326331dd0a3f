import { describe, expect, it } from 'vitest';
import { spanOutcome } from '../../src/core/outcome.js';
import type { Span } from '../../src/core/span.js';
import { LineSplitter, utf8Length } from '../../ui/src/trace/lineSplitter.js';
import { MessageKind, MessageLog, messageDirection } from '../../ui/src/trace/messageLog.js';
import { classifyOutcome } from '../../ui/src/trace/outcome.js';
import { findOffset, needleForms } from '../../ui/src/trace/payloadScan.js';
import { SessionStats, percentile } from '../../ui/src/trace/sessionStats.js';
import { SpanIndex } from '../../ui/src/trace/spanIndex.js';
import { createIntern, parseTime, toSpanRow, type SpanRow } from '../../ui/src/trace/spanRow.js';
import { matches, parseDuration, parseQuery, stepHit } from '../../ui/src/trace/spanSearch.js';
import { axisTicks, barGeometry, formatMs, panWindow, zoomWindow } from '../../ui/src/trace/timeAxis.js';
import { scrollToReveal, visibleRange } from '../../ui/src/trace/virtualRange.js';

const T0 = Date.parse('2026-01-05T10:15:00.000Z');
const iso = (ms: number) => `${new Date(T0 + Math.floor(ms)).toISOString().slice(0, 19)}.${String(Math.round((T0 + ms) * 1000) % 1_000_000).padStart(6, '0')}Z`;
const hex = (n: number) => (n + 1).toString(16).padStart(16, '0');

function span(n: number, opts: { parent?: number; start?: number; ms?: number; method?: string; tool?: string; error?: string; code?: number; dir?: string; rid?: string | null; answered?: boolean } = {}): Record<string, unknown> {
  const start = opts.start ?? n;
  const attributes: Record<string, unknown> = { 'mcp.method.name': opts.method ?? 'tools/call', 'mcp.rpc.direction': opts.dir ?? 'inbound' };
  if (opts.rid !== null) attributes['jsonrpc.request.id'] = opts.rid ?? String(n);
  if (opts.tool) attributes['gen_ai.tool.name'] = opts.tool;
  if (opts.error) attributes['error.type'] = opts.error;
  if (opts.code !== undefined) attributes['mcp.error.code'] = opts.code;
  if (opts.answered !== false && opts.rid !== null) attributes['mcp.rpc.response_json'] = '{"jsonrpc":"2.0","id":1,"result":{}}';
  return {
    trace_id: 'a'.repeat(32),
    span_id: hex(n),
    ...(opts.parent !== undefined ? { parent_span_id: hex(opts.parent) } : {}),
    name: `${opts.method ?? 'tools/call'}${opts.tool ? ` ${opts.tool}` : ''}`,
    kind: 'SERVER',
    start_time: iso(start),
    end_time: iso(start + (opts.ms ?? 1)),
    status: { status_code: opts.error || opts.code ? 'ERROR' : opts.rid === null ? 'UNSET' : 'OK', ...(opts.error ? { description: `failed: ${opts.error}` } : {}) },
    attributes,
  };
}

function rowsOf(spans: Record<string, unknown>[]): SpanRow[] {
  const intern = createIntern();
  return spans.map((s, i) => toSpanRow(s, i, i * 100, 99, intern)!);
}

describe('spanRow', () => {
  it('parses RFC 3339 times with 0 to 9 fractional digits, keeping microseconds', () => {
    expect(parseTime('2026-01-05T10:15:00Z')).toBe(T0);
    expect(parseTime('2026-01-05T10:15:00.5Z')).toBe(T0 + 500);
    expect(parseTime('2026-01-05T10:15:00.000250Z')).toBeCloseTo(T0 + 0.25, 6);
    expect(parseTime('2026-01-05T10:15:00.123456789Z')).toBeCloseTo(T0 + 123.456789, 5);
    expect(parseTime('2026-01-05T11:15:00+01:00')).toBe(T0);
    expect(parseTime('yesterday')).toBeNaN();
    expect(parseTime(42)).toBeNaN();
  });

  it('keeps the fields the views read and the byte range, and rejects lines of another shape', () => {
    const intern = createIntern();
    const row = toSpanRow(span(3, { tool: 'echo', error: 'tool_error', ms: 12.5 }), 7, 1000, 321, intern)!;
    expect(row).toMatchObject({ idx: 7, spanId: hex(3), method: 'tools/call', target: 'echo', status: 2, outcome: 'tool_error', errorText: 'failed: tool_error', offset: 1000, length: 321, answered: true });
    expect(row.end - row.start).toBeCloseTo(12.5, 3);
    expect(toSpanRow({ span_id: 'nothex' }, 0, 0, 1, intern)).toBeUndefined();
    expect(toSpanRow([], 0, 0, 1, intern)).toBeUndefined();
    expect(toSpanRow(null, 0, 0, 1, intern)).toBeUndefined();
    expect(toSpanRow({ ...span(1), start_time: 'x' }, 0, 0, 1, intern)).toBeUndefined();
    // An end before the start (a clock step) is clamped, never a negative bar.
    const back = toSpanRow({ ...span(1), end_time: iso(-5) }, 0, 0, 1, intern)!;
    expect(back.end).toBe(back.start);
  });

  it('classifies outcomes exactly as core spanOutcome does', () => {
    const cases: [string, string | undefined, number | string | undefined][] = [
      ['tools/call', 'tool_error', undefined],
      ['tools/list', '-32601', -32601],
      ['tools/call', '-32601', -32601],
      ['ping', 'connection_closed', undefined],
      ['tools/call', 'connection_closed', undefined],
      ['tools/call', '-32010', -32010],
      ['tools/call', 'abandoned', undefined],
      ['tools/call', undefined, -32001],
      ['tools/call', 'jsonrpc_error', '-32000'],
      ['resources/read', 'parse_error', undefined],
      ['', 'invalid_request', undefined],
    ];
    for (const [method, type, code] of cases) {
      const attributes: Record<string, unknown> = {};
      if (method) attributes['mcp.method.name'] = method;
      if (type) attributes['error.type'] = type;
      if (code !== undefined) attributes['mcp.error.code'] = code;
      const s = { status: { status_code: 'ERROR' }, attributes } as unknown as Span;
      expect(classifyOutcome(true, method, type, code), `${method} ${type} ${code}`).toBe(spanOutcome(s).kind);
    }
    expect(classifyOutcome(false, 'tools/call', undefined, undefined)).toBe('ok');
  });
});

describe('LineSplitter', () => {
  it('yields complete lines with byte offsets across arbitrary chunk cuts, multi-byte text included', () => {
    const lines = ['{"a":"plain"}', '{"a":"é ü 漢字 😀"}', '', '{"a":"last"}'];
    const body = new TextEncoder().encode(lines.map((l) => `${l}\n`).join(''));
    for (const cut of [1, 2, 3, 5, 7, 13, body.length]) {
      const splitter = new LineSplitter(0);
      const got: { text: string; offset: number; length: number }[] = [];
      for (let i = 0; i < body.length; i += cut) got.push(...splitter.push(body.subarray(i, i + cut)));
      expect(splitter.pending).toBe(0);
      expect(got.map((l) => l.text)).toEqual(lines.filter(Boolean));
      for (const l of got) expect(new TextDecoder().decode(body.subarray(l.offset, l.offset + l.length))).toBe(l.text);
    }
  });

  it('holds back a line without its newline and counts from a start offset', () => {
    const splitter = new LineSplitter(500);
    expect(splitter.push(new TextEncoder().encode('{"x":1}\n{"y"'))).toEqual([{ text: '{"x":1}', offset: 500, length: 7 }]);
    expect(splitter.pending).toBe(4);
    expect(splitter.nextOffset).toBe(512);
    expect(splitter.push(new TextEncoder().encode(':2}\n'))).toEqual([{ text: '{"y":2}', offset: 508, length: 7 }]);
    expect(utf8Length('a😀é')).toBe(1 + 4 + 2);
  });
});

describe('SpanIndex', () => {
  it('nests children under parents in start order whatever the file order, and collapses subtrees', () => {
    // File order is end order: children come before their parent.
    const index = new SpanIndex();
    index.add(rowsOf([span(2, { parent: 1, start: 30 }), span(3, { parent: 1, start: 20 }), span(4, { parent: 3, start: 25 }), span(1, { start: 10, ms: 100 }), span(5, { start: 5 })]));
    index.layout();
    const ids = () => [...index.order].map((i) => index.rows[i]!.spanId);
    expect(ids()).toEqual([hex(5), hex(1), hex(3), hex(4), hex(2)]);
    expect([...index.order].map((i) => index.depth[i])).toEqual([0, 0, 1, 2, 1]);
    const p1 = index.find(hex(1))!.idx;
    expect(index.childCount[p1]).toBe(2);
    index.collapsed.add(p1);
    index.layout();
    expect(ids()).toEqual([hex(5), hex(1)]);
    expect(index.position[index.find(hex(4))!.idx]).toBe(-1);
    expect(index.reveal(index.find(hex(4))!.idx)).toBe(true);
    index.layout();
    expect(ids()).toHaveLength(5);
  });

  it('shows orphans and members of a parent cycle as roots instead of losing them', () => {
    const index = new SpanIndex();
    index.add(rowsOf([span(1, { parent: 2 }), span(2, { parent: 1 }), span(3, { parent: 99 }), span(4, { parent: 4 })]));
    index.layout();
    expect(index.order.length).toBe(4);
    expect(index.minStart).toBeLessThan(index.maxEnd);
  });
});

describe('time axis', () => {
  const bounds = { from: 0, to: 1000 };
  it('zooms around the anchor and pans inside the bounds', () => {
    const z = zoomWindow(bounds, 4, 0.5, bounds);
    expect(z).toEqual({ from: 375, to: 625 });
    expect(zoomWindow(z, 0.01, 0.5, bounds)).toEqual(bounds);
    expect(zoomWindow(bounds, 2, 0, bounds)).toEqual({ from: 0, to: 500 });
    expect(panWindow(z, 10, bounds)).toEqual({ from: 750, to: 1000 });
    expect(panWindow(z, -10, bounds)).toEqual({ from: 0, to: 250 });
    expect(zoomWindow(bounds, 1e12, 0.5, bounds).to - zoomWindow(bounds, 1e12, 0.5, bounds).from).toBeCloseTo(0.001, 9);
  });
  it('places bars, at least 1 px wide, and says when one is outside the window', () => {
    expect(barGeometry(250, 500, bounds, 400)).toEqual({ x: 100, w: 100, visible: true });
    expect(barGeometry(300, 300, bounds, 400)).toEqual({ x: 120, w: 1, visible: true });
    expect(barGeometry(-50, 2000, { from: 0, to: 100 }, 100)).toEqual({ x: 0, w: 100, visible: true });
    expect(barGeometry(200, 300, { from: 0, to: 100 }, 100).visible).toBe(false);
  });
  it('ticks on nice steps, labelled from the session start', () => {
    const ticks = axisTicks({ from: 0, to: 1000 }, 5, 0);
    expect(ticks.map((t) => t.t)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(ticks[1]!.label).toBe('200 ms');
    expect(formatMs(0.25)).toBe('250 µs');
    expect(formatMs(4050)).toBe('4.05 s');
    expect(formatMs(125_000)).toBe('2m 05s');
  });
});

describe('virtual range', () => {
  it('renders only the rows in view plus overscan', () => {
    expect(visibleRange(0, 200, 20, 50_000, 5)).toEqual({ first: 0, end: 15 });
    expect(visibleRange(20 * 49_990, 200, 20, 50_000, 5)).toEqual({ first: 49_985, end: 50_000 });
    expect(visibleRange(0, 200, 20, 0)).toEqual({ first: 0, end: 0 });
    expect(scrollToReveal(100, 0, 200, 20)).toBe(1820);
    expect(scrollToReveal(3, 0, 200, 20)).toBeUndefined();
    expect(scrollToReveal(3, 400, 200, 20)).toBe(60);
  });
});

describe('session stats', () => {
  it('counts calls and real errors per tool and summarises latency per method or tool', () => {
    const stats = new SessionStats();
    const spans = [
      ...Array.from({ length: 100 }, (_, i) => span(i, { tool: 'echo', ms: i + 1 })),
      span(200, { tool: 'add', error: 'tool_error' }),
      span(201, { method: 'tools/list', code: -32601, error: '-32601' }),
      span(202, { method: 'notifications/progress', rid: null }),
    ];
    stats.add(rowsOf(spans));
    expect(stats.toolCounts()).toEqual([
      { tool: 'echo', calls: 100, errors: 0 },
      { tool: 'add', calls: 1, errors: 1 },
    ]);
    const echo = stats.latencies().find((l) => l.key === 'tools/call echo')!;
    expect(echo.count).toBe(100);
    expect(echo.p50).toBeCloseTo(50, 3);
    expect(echo.p95).toBeCloseTo(95, 3);
    expect(echo.max).toBeCloseTo(100, 3);
    expect(stats.latencies().map((l) => l.key)).not.toContain('notifications/progress');
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('message log', () => {
  it('orders request and response messages by time, pairs them, and shows direction', () => {
    const rows = rowsOf([
      span(1, { start: 0, ms: 50 }),
      span(2, { start: 10, ms: 5, dir: 'outbound', method: 'sampling/createMessage' }),
      span(3, { start: 20, rid: null, method: 'notifications/message', ms: 0 }),
      span(4, { start: 30, ms: 100, answered: false, error: 'connection_closed' }),
    ]);
    const log = new MessageLog();
    log.rebuild(rows);
    const seq = Array.from({ length: log.length }, (_, p) => log.at(p)).map((m) => `${m.row}:${m.kind}`);
    expect(seq).toEqual(['0:0', '1:0', '1:1', '2:2', '3:0', '0:1']);
    expect(log.partner(0)).toBe(5);
    expect(log.partner(5)).toBe(0);
    expect(log.partner(3)).toBe(-1);
    expect(log.partner(4)).toBe(-1);
    expect(log.positionOf(3)).toBe(4);
    expect(messageDirection(rows[0]!, MessageKind.Request)).toBe('in');
    expect(messageDirection(rows[0]!, MessageKind.Response)).toBe('out');
    expect(messageDirection(rows[1]!, MessageKind.Request)).toBe('out');
  });
});

describe('search', () => {
  it('parses filters from the search box and matches rows by every field', () => {
    const q = parseQuery('status:error tool:ECH >250ms Timeout');
    expect(q).toEqual({ text: 'timeout', method: '', tool: 'ech', status: 'error', minMs: 250 });
    expect(parseQuery('method:tools/call dur:1.5s file:///x').minMs).toBe(1500);
    expect(parseQuery('method:tools/call dur:1.5s file:///x').text).toBe('file:///x');
    expect(parseDuration('800us')).toBeCloseTo(0.8);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('soon')).toBeNaN();
    const [slowErr, fastOk, probe] = rowsOf([span(1, { tool: 'echo', ms: 300, error: 'timeout' }), span(2, { tool: 'echo', ms: 3 }), span(3, { method: 'tools/list', code: -32601, error: '-32601' })]);
    expect(matches(slowErr!, q)).toBe(true);
    expect(matches(fastOk!, q)).toBe(false);
    expect(matches(fastOk!, parseQuery('status:ok method:tools/call'))).toBe(true);
    // A benign probe failure is not an error to search for.
    expect(matches(probe!, parseQuery('status:error'))).toBe(false);
    expect(matches(fastOk!, parseQuery(hex(2)))).toBe(true);
    expect(stepHit([2, 5, 9], 5, 1)).toBe(9);
    expect(stepHit([2, 5, 9], 9, 1)).toBe(2);
    expect(stepHit([2, 5, 9], 2, -1)).toBe(9);
    expect(stepHit([], 0, 1)).toBe(-1);
  });
});

describe('payload scan helpers', () => {
  it('looks for text as typed and as JSON-escaped once and twice, and finds rows by byte offset', () => {
    expect(needleForms('say "hi"')).toEqual(['say "hi"', 'say \\"hi\\"', 'say \\\\\\"hi\\\\\\"']);
    const line = JSON.stringify({ attributes: { 'mcp.rpc.request_json': JSON.stringify({ text: 'say "hi"' }) } }).toLowerCase();
    expect(needleForms('say "hi"').some((f) => line.includes(f))).toBe(true);
    const offsets = [0, 120, 400, 401, 9000];
    expect(findOffset((i) => offsets[i]!, offsets.length, 401)).toBe(3);
    expect(findOffset((i) => offsets[i]!, offsets.length, 9000)).toBe(4);
    expect(findOffset((i) => offsets[i]!, offsets.length, 5)).toBe(-1);
    expect(findOffset(() => 0, 0, 0)).toBe(-1);
  });
});
