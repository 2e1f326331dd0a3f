import type { Span } from '../core/span.js';

/**
 * Parses one trace line into a span, or undefined when it is not JSON or not span-shaped.
 * The check is structural (ids, name, kind, times, status, attributes present with the right
 * JSON types), not a full SpanSchema validation: reading must keep pace with gunzip.
 */
export function parseSpanLine(line: string): Span | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return looksLikeSpan(value) ? value : undefined;
}

/** Cheap structural test that `value` is a span as the trace contract writes it. */
export function looksLikeSpan(value: unknown): value is Span {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const status = v.status as Record<string, unknown> | null | undefined;
  return (
    typeof v.trace_id === 'string' &&
    typeof v.span_id === 'string' &&
    typeof v.name === 'string' &&
    typeof v.kind === 'string' &&
    typeof v.start_time === 'string' &&
    typeof v.end_time === 'string' &&
    typeof status === 'object' &&
    status !== null &&
    typeof status.status_code === 'string' &&
    typeof v.attributes === 'object' &&
    v.attributes !== null &&
    !Array.isArray(v.attributes)
  );
}
