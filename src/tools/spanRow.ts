import { z } from 'zod';
import { formatDuration } from '../core/formatDuration.js';
import type { Span } from '../core/span.js';
import { argsPreview } from '../catalog/argsPreview.js';
import { clipText } from '../catalog/clipText.js';
import { outcomeMark, type SpanFacts } from '../catalog/spanFacts.js';

/**
 * A lean span, as listed by get_trace view "spans": identity, timing, outcome and a short
 * argument preview. What every span of a session repeats (session id, transport) and the
 * request/response bodies are left to get_span, so a page holds many rows.
 */
export const SpanRowSchema = z.object({
  span_id: z.string(),
  parent_span_id: z.string().optional(),
  name: z.string(),
  start_time: z.string(),
  duration_ms: z.number(),
  status: z.enum(['UNSET', 'OK', 'ERROR']),
  /** How the outcome counts, when it is not plain ok: `tool_error`, `rpc_error`, `transport_error`, or `benign` (status ERROR but not an error). */
  outcome: z.enum(['tool_error', 'rpc_error', 'transport_error', 'benign']).optional(),
  error: z.string().optional(),
  args: z.string().optional(),
});
export type SpanRow = z.infer<typeof SpanRowSchema>;

/** Longest error message in a row. */
const ERROR_CHARS = 160;

/** The lean row of `span` (see {@link SpanRowSchema}). */
export function spanRow(span: Span, facts: SpanFacts): SpanRow {
  const row: SpanRow = {
    span_id: span.span_id,
    name: clipText(span.name, 120),
    start_time: span.start_time,
    duration_ms: Number(facts.durationMs.toFixed(3)),
    status: span.status.status_code,
  };
  if (span.parent_span_id) row.parent_span_id = span.parent_span_id;
  if (facts.outcome !== 'ok') row.outcome = facts.outcome;
  if (facts.errorMessage !== undefined) row.error = clipText(facts.errorMessage, ERROR_CHARS);
  const args = argsPreview(span);
  if (args !== undefined) row.args = args;
  return row;
}

/** One line per row for the text content: `<span_id> <start> <duration> <mark> <name> <args> [— error]`. */
export function spanRowLine(row: SpanRow, prefix = ''): string {
  const args = row.args ? ` ${row.args}` : '';
  const error = row.error ? ` — ${row.error}` : '';
  return `${prefix}${row.span_id} ${row.start_time} ${formatDuration(row.duration_ms)} ${outcomeMark(row.outcome)} ${row.name}${args}${error}`;
}
