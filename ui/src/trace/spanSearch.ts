import { durationOf, isRealError, Status, type SpanRow } from './spanRow.js';

/** What to look for: every given field must match. */
export interface SpanQuery {
  /** Case-insensitive substring of name, method, target, error text, span id or request id. */
  text: string;
  /** Exact method (case-insensitive), or '' for any. */
  method: string;
  /** Tool (or prompt / resource) name, case-insensitive substring, or '' for any. */
  tool: string;
  /** `error` (real errors), `ok`, `unset`, or '' for any. */
  status: '' | 'error' | 'ok' | 'unset';
  /** Minimum duration in ms (0: any). */
  minMs: number;
}

/** An empty query: matches nothing is searched for. */
export const EMPTY_QUERY: SpanQuery = { text: '', method: '', tool: '', status: '', minMs: 0 };

const DURATION = /^(\d+(?:\.\d+)?)(us|µs|ms|s|m)?$/i;

/** Parses `250ms`, `1.5s`, `2m`, `800us`, `40` (ms) into ms; NaN when invalid. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'ms').toLowerCase();
  return unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : unit === 'us' || unit === 'µs' ? n / 1000 : n;
}

/**
 * Parses the search box: free text plus `method:`, `tool:`, `status:` and `>duration`
 * (or `dur:`) tokens, e.g. `status:error tool:echo >250ms timeout`. Unknown `key:` tokens stay
 * in the free text, so URIs and such can still be searched for.
 */
export function parseQuery(input: string): SpanQuery {
  const q: SpanQuery = { ...EMPTY_QUERY };
  const words: string[] = [];
  for (const token of input.trim().split(/\s+/).filter(Boolean)) {
    const m = /^(method|tool|status|dur|min):(.*)$/i.exec(token);
    const key = m?.[1]!.toLowerCase();
    const value = m?.[2] ?? '';
    if (key === 'method') q.method = value.toLowerCase();
    else if (key === 'tool') q.tool = value.toLowerCase();
    else if (key === 'status' && ['error', 'ok', 'unset'].includes(value.toLowerCase())) q.status = value.toLowerCase() as SpanQuery['status'];
    else if ((key === 'dur' || key === 'min') && !Number.isNaN(parseDuration(value.replace(/^>=?/, '')))) q.minMs = parseDuration(value.replace(/^>=?/, ''));
    else if (/^>=?/.test(token) && !Number.isNaN(parseDuration(token.replace(/^>=?/, '')))) q.minMs = parseDuration(token.replace(/^>=?/, ''));
    else words.push(token);
  }
  q.text = words.join(' ').toLowerCase();
  return q;
}

/** True when the query asks for anything. */
export function isActive(q: SpanQuery): boolean {
  return q.text !== '' || q.method !== '' || q.tool !== '' || q.status !== '' || q.minMs > 0;
}

/** True when `row` matches every field of `q`. */
export function matches(row: SpanRow, q: SpanQuery): boolean {
  if (q.method && row.method.toLowerCase() !== q.method) return false;
  if (q.tool && !row.target.toLowerCase().includes(q.tool)) return false;
  if (q.status === 'error' && !isRealError(row)) return false;
  if (q.status === 'ok' && row.status !== Status.Ok) return false;
  if (q.status === 'unset' && row.status !== Status.Unset) return false;
  if (q.minMs > 0 && durationOf(row) < q.minMs) return false;
  if (q.text) {
    const hay = `${row.name}\n${row.method}\n${row.target}\n${row.errorText ?? ''}\n${row.spanId}\n${row.requestId ?? ''}`.toLowerCase();
    if (!hay.includes(q.text)) return false;
  }
  return true;
}

/**
 * The hit after (`step` 1) or before (-1) position `from` in `hits` (sorted positions),
 * wrapping around; -1 when there are none.
 */
export function stepHit(hits: readonly number[], from: number, step: 1 | -1): number {
  if (hits.length === 0) return -1;
  if (step === 1) return hits.find((h) => h > from) ?? hits[0]!;
  for (let i = hits.length - 1; i >= 0; i--) if (hits[i]! < from) return hits[i]!;
  return hits[hits.length - 1]!;
}
