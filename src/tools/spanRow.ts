import { z } from 'zod';
import type { Span } from '../core/span.js';
import { clipText } from './clipText.js';
import { formatDuration } from '../core/formatDuration.js';
import type { SpanFacts } from './spanFacts.js';

/** A compact span, as listed by get_trace view "spans" and search_spans. */
export const SpanRowSchema = z.object({
  span_id: z.string(),
  parent_span_id: z.string().optional(),
  name: z.string(),
  kind: z.string(),
  start_time: z.string(),
  duration_ms: z.number(),
  status: z.enum(['UNSET', 'OK', 'ERROR']),
  error: z.string().optional(),
  attributes: z.record(z.string(), z.unknown()),
  attributes_omitted: z.number().int().optional(),
});
export type SpanRow = z.infer<typeof SpanRowSchema>;

/** Per-value and per-row character budgets of row attributes. */
const VALUE_CHARS = 200;
const ROW_ATTRIBUTE_CHARS = 700;

/**
 * A row for `span`: its identity, timing and status, and its attributes with each value cut
 * to about 200 characters and at most about 700 characters of attributes in all (the rest
 * counted in `attributes_omitted`; `get_span` shows everything).
 */
export function spanRow(span: Span, facts: SpanFacts): SpanRow {
  const attributes: Record<string, unknown> = {};
  let used = 0;
  let omitted = 0;
  for (const [key, value] of Object.entries(span.attributes)) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (used >= ROW_ATTRIBUTE_CHARS) {
      omitted++;
      continue;
    }
    const clipped = clipText(text, Math.min(VALUE_CHARS, Math.max(40, ROW_ATTRIBUTE_CHARS - used)));
    attributes[key] = typeof value === 'string' || clipped !== text ? clipped : value;
    used += key.length + clipped.length;
  }
  const row: SpanRow = {
    span_id: span.span_id,
    name: span.name,
    kind: span.kind,
    start_time: span.start_time,
    duration_ms: Number(facts.durationMs.toFixed(3)),
    status: span.status.status_code,
    attributes,
  };
  if (span.parent_span_id) row.parent_span_id = span.parent_span_id;
  if (facts.errorMessage !== undefined) row.error = clipText(facts.errorMessage, VALUE_CHARS);
  if (omitted > 0) row.attributes_omitted = omitted;
  return row;
}

/** One line per row for the text content: `<span_id> <start> <duration> <mark> <name> [error]`. */
export function spanRowLine(row: SpanRow, prefix = ''): string {
  const mark = row.status === 'ERROR' ? '✗' : '✓';
  const error = row.error ? ` — ${row.error}` : '';
  return `${prefix}${row.span_id} ${row.start_time} ${formatDuration(row.duration_ms)} ${mark} ${row.name}${error}`;
}
