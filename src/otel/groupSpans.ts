import type { Span } from '../core/span.js';
import type { Redactor } from '../instrumentation/redaction.js';
import { otelSpanProblem, sessionKeyOf, toTraceSpan, type OtelSpanData, type SessionKey } from './otelSpan.js';

/** Spans converted and grouped by session, plus what was refused. */
export interface GroupedSpans {
  sessions: Array<{ key: SessionKey; spans: Span[] }>;
  rejected: number;
  /** The first reason a span was refused, empty when none was. */
  firstProblem: string;
}

/**
 * Converts every span (see toTraceSpan) and groups them by session (see sessionKeyOf), in
 * input order. Spans with invalid ids are counted as rejected, never thrown. Pure: writes nothing,
 * so a caller can convert a whole request before storing any of it.
 */
export function groupSpans(input: OtelSpanData[], redactor: Redactor): GroupedSpans {
  const bySession = new Map<string, { key: SessionKey; spans: Span[] }>();
  let rejected = 0;
  let firstProblem = '';
  for (const d of input) {
    const problem = otelSpanProblem(d);
    if (problem) {
      rejected += 1;
      firstProblem ||= problem;
      continue;
    }
    const key = sessionKeyOf(d);
    let group = bySession.get(key.sessionId);
    if (!group) bySession.set(key.sessionId, (group = { key, spans: [] }));
    group.spans.push(toTraceSpan(d, redactor));
  }
  return { sessions: [...bySession.values()], rejected, firstProblem };
}
