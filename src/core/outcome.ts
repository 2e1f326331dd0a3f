import type { SessionStatus } from './session.js';
import { classifyOutcome, type OutcomeKind } from './outcomeRule.js';
import { Attr, type Span } from './span.js';

export type { OutcomeKind } from './outcomeRule.js';

/** A span's classified outcome; `reason` (for every kind but `ok`) says briefly why. */
export interface SpanOutcome {
  kind: OutcomeKind;
  reason?: string;
}

/**
 * Classifies one span's outcome (pure; works on any trace, old or new, since it reads only
 * the status and the standard attributes). Never throws.
 */
export function spanOutcome(span: Span): SpanOutcome {
  if (span.status.status_code !== 'ERROR') return { kind: 'ok' };
  const a = span.attributes;
  const type = typeof a[Attr.ERROR_TYPE] === 'string' ? (a[Attr.ERROR_TYPE] as string) : undefined;
  const method = typeof a[Attr.MCP_METHOD] === 'string' ? (a[Attr.MCP_METHOD] as string) : undefined;
  const message = span.status.description ?? (typeof a[Attr.ERROR_MESSAGE] === 'string' ? (a[Attr.ERROR_MESSAGE] as string) : undefined);
  const reason = message || type || 'error';
  const { kind, rule } = classifyOutcome(true, method, type, a[Attr.ERROR_CODE] ?? a[Attr.RPC_STATUS_CODE]);
  if (rule === 'probe') return { kind, reason: `${method} not supported by the peer (probe)` };
  if (rule === 'client_left') return { kind, reason: `${method} left unanswered: the other side closed` };
  if (rule === 'rejected') return { kind, reason: `rejected at a breakpoint: ${reason}` };
  return { kind, reason };
}

/** True when the span's outcome is a real error (not ok, not benign). */
export function isRealError(span: Span): boolean {
  return isErrorKind(spanOutcome(span).kind);
}

const KIND_LABEL: Record<Exclude<OutcomeKind, 'ok' | 'benign'>, [string, string]> = {
  tool_error: ['tool error', 'tool errors'],
  rpc_error: ['JSON-RPC error', 'JSON-RPC errors'],
  transport_error: ['transport error', 'transport errors'],
};

/**
 * Counts a session's real errors span by span and says in one short line what they were,
 * e.g. `2 tool errors: read_text_file Access denied …`. Feed it every span (any order).
 */
export class OutcomeTally {
  /** Real errors seen. */
  errors = 0;
  /** Benign ERROR spans seen (recorded, not counted as errors). */
  benign = 0;
  private readonly byKind = new Map<string, { count: number; example: string }>();

  /** Adds one span; returns its outcome. */
  add(span: Span): SpanOutcome {
    const outcome = spanOutcome(span);
    if (outcome.kind === 'benign') this.benign++;
    else if (isErrorKind(outcome.kind)) {
      this.errors++;
      const entry = this.byKind.get(outcome.kind);
      if (entry) entry.count++;
      else this.byKind.set(outcome.kind, { count: 1, example: example(span, outcome.reason ?? '') });
    }
    return outcome;
  }

  /**
   * `2 tool errors: read_text_file Access denied …; 1 transport error: tools/call …`, or
   * undefined without errors. `without` leaves kinds out (e.g. transport errors that the
   * session's own abnormal end already explains).
   */
  reason(maxChars = 160, without: ReadonlySet<OutcomeKind> = new Set()): string | undefined {
    const kinds = [...this.byKind].filter(([kind]) => !without.has(kind as OutcomeKind));
    if (kinds.length === 0) return undefined;
    const parts = kinds.map(([kind, { count, example }]) => {
      const [one, many] = KIND_LABEL[kind as keyof typeof KIND_LABEL];
      return `${count} ${count === 1 ? one : many}: ${example}`;
    });
    return clip(parts.join('; '), maxChars);
  }
}

/** `read_text_file Access denied …`: the tool (or method) and the start of its message, on one line. */
function example(span: Span, reason: string): string {
  const a = span.attributes;
  const what = typeof a[Attr.TOOL_NAME] === 'string' ? (a[Attr.TOOL_NAME] as string) : typeof a[Attr.MCP_METHOD] === 'string' ? (a[Attr.MCP_METHOD] as string) : span.name;
  // eslint-disable-next-line no-control-regex
  return clip(`${what} ${reason.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim()}`, 80);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

/** True for the kinds that count as errors (`tool_error`, `rpc_error`, `transport_error`). */
export function isErrorKind(kind: OutcomeKind): boolean {
  return kind !== 'ok' && kind !== 'benign';
}

/** Transport errors of a session that ended abnormally are the end itself, not news. */
const EXPLAINED_BY_END: ReadonlySet<OutcomeKind> = new Set(['transport_error']);

/**
 * A finished session's status and reason from how it ended and its real errors (`error_count`,
 * when given, also counts errors the tally did not see): `completed`
 * with errors becomes `failed` with the tally's reason (`2 tool errors: …`); `failed` keeps
 * its own reason first, followed by its tool and JSON-RPC errors (its transport errors are
 * the failure itself); `completed` without errors and `cancelled` keep theirs (views show a
 * completed session's reason nowhere: how its connection ended is not news).
 */
export function sessionOutcome(ended: { status: SessionStatus; reason?: string; error_count?: number }, tally: OutcomeTally): { status: SessionStatus; reason?: string } {
  if (ended.status === 'completed') {
    const errors = tally.reason();
    if (errors) return { status: 'failed', reason: errors };
    // Errors counted before this tally began (a continued trace) still make the session failed.
    const earlier = ended.error_count ?? 0;
    if (earlier > 0) return { status: 'failed', reason: `${earlier} ${earlier === 1 ? 'error' : 'errors'} in an earlier part of the trace` };
  } else if (ended.status === 'failed') {
    const errors = ended.reason ? tally.reason(160, EXPLAINED_BY_END) : tally.reason();
    if (errors && !(ended.reason ?? '').includes(errors)) return { status: 'failed', reason: ended.reason ? `${ended.reason}; ${errors}` : errors };
  }
  return ended.reason === undefined ? { status: ended.status } : { status: ended.status, reason: ended.reason };
}
