import { isErrorKind, spanOutcome, type OutcomeKind } from '../core/outcome.js';
import { Attr, type Span } from '../core/span.js';
import { parseMicros } from '../core/time.js';

/** Values derived from a span that views and filters use. */
export interface SpanFacts {
  startMicros: number;
  durationMs: number;
  /** A real error (see spanOutcome): benign ERROR spans (probes, unanswered server requests) are not. */
  isError: boolean;
  outcome: OutcomeKind;
  method?: string;
  tool?: string;
  /** Why the span failed (or, for a benign span, why it is not an error). */
  errorMessage?: string;
}

/** Derives {@link SpanFacts} from one span (NaN-safe: unreadable times give duration 0). */
export function spanFacts(span: Span): SpanFacts {
  const start = parseMicros(span.start_time);
  const end = parseMicros(span.end_time);
  const durationMs = Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, (end - start) / 1000) : 0;
  const a = span.attributes;
  const method = typeof a[Attr.MCP_METHOD] === 'string' ? (a[Attr.MCP_METHOD] as string) : undefined;
  const tool = typeof a[Attr.TOOL_NAME] === 'string' ? (a[Attr.TOOL_NAME] as string) : undefined;
  const outcome = spanOutcome(span);
  const isError = isErrorKind(outcome.kind);
  const facts: SpanFacts = { startMicros: Number.isFinite(start) ? start : 0, durationMs, isError, outcome: outcome.kind };
  if (method !== undefined) facts.method = method;
  if (tool !== undefined) facts.tool = tool;
  if (isError) {
    const msg = span.status.description ?? a[Attr.ERROR_MESSAGE] ?? a[Attr.ERROR_TYPE];
    facts.errorMessage = msg === undefined || msg === '' ? 'error (no message recorded)' : String(msg);
  } else if (outcome.kind === 'benign') {
    facts.errorMessage = `not an error: ${outcome.reason ?? 'protocol noise'}`;
  }
  return facts;
}

/** Facts for every span of a trace, computed once per cached trace. */
export function traceFacts(trace: { spans: readonly Span[]; memo<T>(key: string, compute: () => T): T }): SpanFacts[] {
  return trace.memo('facts', () => trace.spans.map(spanFacts));
}

/**
 * The mark of a span in text views: `✗` a real error, `~` recorded as ERROR but benign
 * (a probe answered "method not found", a request left unanswered when the other side closed), `✓` otherwise.
 */
export function outcomeMark(outcome: SpanFacts['outcome'] | undefined): string {
  return outcome === undefined || outcome === 'ok' ? '✓' : outcome === 'benign' ? '~' : '✗';
}
