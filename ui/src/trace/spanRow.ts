import { classifyOutcome, type OutcomeKind } from './outcome.js';

/** Span status as a small number: rows keep no strings they do not need. */
export enum Status {
  Unset = 0,
  Ok = 1,
  Error = 2,
}

/**
 * One span as the view keeps it: the few fields the tree, waterfall, log, charts and search
 * read, plus where its line sits in the trace's NDJSON (`offset`, `length` in bytes), so the
 * full span (attributes, payloads) is fetched again by byte range only when it is opened.
 * Strings that repeat (names, methods, targets) are interned by the caller.
 */
export interface SpanRow {
  /** Position in load (file) order; stable for the life of the view. */
  idx: number;
  spanId: string;
  parentId: string | undefined;
  name: string;
  /** `mcp.method.name`, or '' for spans without one. */
  method: string;
  /** Tool or prompt name or resource URI, or ''. */
  target: string;
  /** `mcp.rpc.direction`: 'inbound', 'outbound' or ''. */
  direction: string;
  /** `jsonrpc.request.id` for requests; undefined for notifications and others. */
  requestId: string | undefined;
  status: Status;
  outcome: OutcomeKind;
  /** The error message (status description or `mcp.error.message`), errors only. */
  errorText: string | undefined;
  /** Epoch milliseconds with microsecond precision. */
  start: number;
  end: number;
  /** The span has a recorded response (`mcp.rpc.response_json`). */
  answered: boolean;
  eventCount: number;
  offset: number;
  length: number;
}

/** Interns strings so 50,000 rows share one copy of each name and method. */
export type Intern = (s: string) => string;

/** An interning function backed by a Map (bounded by the number of distinct values). */
export function createIntern(): Intern {
  const seen = new Map<string, string>();
  return (s) => {
    const hit = seen.get(s);
    if (hit !== undefined) return hit;
    seen.set(s, s);
    return s;
  };
}

const TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** RFC 3339 time (0 to 9 fractional digits) to epoch ms, keeping microseconds; NaN when invalid. */
export function parseTime(text: unknown): number {
  if (typeof text !== 'string') return Number.NaN;
  const m = TIME.exec(text);
  if (!m) return Number.NaN;
  const base = Date.parse(`${m[1]}${m[3] === 'Z' ? 'Z' : m[3]}`);
  const frac = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return base + frac;
}

const HEX16 = /^[0-9a-f]{16}$/;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * Builds a row from one parsed NDJSON line, or returns undefined when the line is not a span
 * of the trace format's shape (such lines are skipped and counted, never fatal).
 */
export function toSpanRow(raw: unknown, idx: number, offset: number, length: number, intern: Intern): SpanRow | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  const spanId = str(o.span_id);
  if (!spanId || !HEX16.test(spanId)) return undefined;
  const start = parseTime(o.start_time);
  const endRaw = parseTime(o.end_time);
  if (Number.isNaN(start) || Number.isNaN(endRaw)) return undefined;
  const attrsRaw = o.attributes;
  const a = (typeof attrsRaw === 'object' && attrsRaw !== null && !Array.isArray(attrsRaw) ? attrsRaw : {}) as Record<string, unknown>;
  const statusRaw = (typeof o.status === 'object' && o.status !== null ? o.status : {}) as Record<string, unknown>;
  const code = statusRaw.status_code;
  const status = code === 'ERROR' ? Status.Error : code === 'OK' ? Status.Ok : Status.Unset;
  const method = str(a['mcp.method.name']) ?? '';
  const target = str(a['gen_ai.tool.name']) ?? str(a['gen_ai.prompt.name']) ?? str(a['mcp.resource.uri']) ?? '';
  const description = str(statusRaw.description) ?? str(a['mcp.error.message']);
  const outcome = classifyOutcome(status === Status.Error, method, str(a['error.type']), a['mcp.error.code'] ?? a['rpc.response.status_code']);
  const parent = str(o.parent_span_id);
  const rid = a['jsonrpc.request.id'];
  return {
    idx,
    spanId,
    parentId: parent && HEX16.test(parent) ? parent : undefined,
    name: intern(str(o.name) ?? method ?? ''),
    method: intern(method),
    target: intern(target),
    direction: intern(str(a['mcp.rpc.direction']) ?? ''),
    requestId: typeof rid === 'string' || typeof rid === 'number' ? String(rid) : undefined,
    status,
    outcome,
    errorText: status === Status.Error ? (description ?? str(a['error.type'])) : undefined,
    start,
    end: Math.max(start, endRaw),
    answered: typeof a['mcp.rpc.response_json'] === 'string',
    eventCount: Array.isArray(o.events) ? o.events.length : 0,
    offset,
    length,
  };
}

/** Duration in ms. */
export function durationOf(row: SpanRow): number {
  return row.end - row.start;
}

/** True when the row counts as an error in mcpscope's views (not ok, not benign). */
export function isRealError(row: SpanRow): boolean {
  return row.outcome !== 'ok' && row.outcome !== 'benign';
}
