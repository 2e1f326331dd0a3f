import { z } from 'zod';
import { shownReason, type SessionMeta } from '../core/session.js';
import { formatMicros } from '../core/time.js';
import { formatDuration, plural } from '../core/formatDuration.js';
import type { OutcomeKind } from '../core/outcome.js';
import { clipText } from './clipText.js';
import { argsPreview } from './argsPreview.js';
import { outcomeMark, traceFacts } from './spanFacts.js';
import type { LoadedTrace } from './loadedTrace.js';
import { SessionRowSchema } from './sessionRow.js';
import { resultBytes } from './budgetPage.js';

const CountSchema = z.object({ name: z.string(), count: z.number().int(), errors: z.number().int(), max_ms: z.number() });
const SpanRefSchema = z.object({ span_id: z.string(), name: z.string(), start_time: z.string(), duration_ms: z.number(), args: z.string().optional() });

/** The `summary` view of get_trace and of the `inspector://sessions/{id}` resource. */
export const TraceSummarySchema = z.object({
  session: SessionRowSchema.omit({ span_count: true, error_count: true }),
  span_count: z.number().int(),
  error_count: z.number().int(),
  corrupt_lines: z.number().int(),
  truncated: z.boolean(),
  first_start: z.string().optional(),
  last_end: z.string().optional(),
  wall_ms: z.number().optional(),
  methods: z.array(CountSchema),
  tools: z.array(CountSchema),
  errors: z.array(SpanRefSchema.extend({ message: z.string() })),
  slowest: z.array(SpanRefSchema.extend({ status: z.string(), outcome: z.string().optional() })),
  omitted: z.object({ methods: z.number().int(), tools: z.number().int(), errors: z.number().int() }),
  hints: z.array(z.string()),
});
export type TraceSummary = z.infer<typeof TraceSummarySchema>;

interface Aggregate {
  methods: Array<z.infer<typeof CountSchema>>;
  tools: Array<z.infer<typeof CountSchema>>;
  errorIdx: number[];
  slowestIdx: number[];
  errorCount: number;
  benignCount: number;
  firstStart?: number;
  lastEnd?: number;
}

const TOP = { methods: 30, tools: 30, errors: 25, slowest: 10 };

/** One pass over the trace: counts per method and tool, error spans, the slowest spans. Memoized per trace. */
function aggregate(trace: LoadedTrace): Aggregate {
  return trace.memo('aggregate', () => {
    const facts = traceFacts(trace);
    const methods = new Map<string, { count: number; errors: number; max: number }>();
    const tools = new Map<string, { count: number; errors: number; max: number }>();
    const errorIdx: number[] = [];
    const slowest: number[] = []; // indices, sorted by duration descending, at most TOP.slowest
    let firstStart: number | undefined;
    let lastEnd: number | undefined;
    let benign = 0;
    const bump = (map: typeof methods, key: string, ms: number, err: boolean) => {
      let c = map.get(key);
      if (!c) map.set(key, (c = { count: 0, errors: 0, max: 0 }));
      c.count++;
      if (err) c.errors++;
      if (ms > c.max) c.max = ms;
    };
    for (let i = 0; i < facts.length; i++) {
      const f = facts[i]!;
      bump(methods, f.method ?? trace.spans[i]!.name, f.durationMs, f.isError);
      if (f.tool !== undefined) bump(tools, f.tool, f.durationMs, f.isError);
      if (f.isError) errorIdx.push(i);
      else if (f.outcome === 'benign') benign++;
      if (firstStart === undefined || f.startMicros < firstStart) firstStart = f.startMicros;
      const end = f.startMicros + f.durationMs * 1000;
      if (lastEnd === undefined || end > lastEnd) lastEnd = end;
      // A notification has no reply to wait for: its "duration" says nothing about slowness.
      const notification = (f.method ?? trace.spans[i]!.name).startsWith('notifications/');
      if (!notification && (slowest.length < TOP.slowest || f.durationMs > facts[slowest[slowest.length - 1]!]!.durationMs)) {
        let at = slowest.length;
        while (at > 0 && facts[slowest[at - 1]!]!.durationMs < f.durationMs) at--;
        slowest.splice(at, 0, i);
        if (slowest.length > TOP.slowest) slowest.pop();
      }
    }
    const sorted = (map: typeof methods) =>
      [...map].map(([name, c]) => ({ name, count: c.count, errors: c.errors, max_ms: round(c.max) })).sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
    const agg: Aggregate = { methods: sorted(methods), tools: sorted(tools), errorIdx, slowestIdx: slowest, errorCount: errorIdx.length, benignCount: benign };
    if (firstStart !== undefined) agg.firstStart = firstStart;
    if (lastEnd !== undefined) agg.lastEnd = lastEnd;
    return agg;
  });
}

const round = (ms: number) => Number(ms.toFixed(3));

/**
 * Summarizes a session's trace: status, counts by method and tool, error spans with their
 * messages, the slowest spans, the time span. Lists shrink until the summary (text plus
 * structured form) fits in `byteBudget`; what was left out is counted in `omitted`.
 */
export function summarizeTrace(meta: SessionMeta, trace: LoadedTrace, byteBudget: number): { text: string; summary: TraceSummary } {
  const agg = aggregate(trace);
  let limits = { ...TOP, message: 300 };
  for (let attempt = 0; ; attempt++) {
    const summary = build(meta, trace, agg, limits);
    const text = renderSummary(summary);
    if (resultBytes(text, { summary }) <= byteBudget || attempt >= 8) return { text, summary };
    limits = {
      methods: Math.floor(limits.methods / 2),
      tools: Math.floor(limits.tools / 2),
      errors: Math.floor(limits.errors / 2),
      slowest: Math.max(1, Math.floor(limits.slowest / 2)),
      message: Math.max(60, Math.floor(limits.message / 2)),
    };
  }
}

function build(meta: SessionMeta, trace: LoadedTrace, agg: Aggregate, limits: typeof TOP & { message: number }): TraceSummary {
  const facts = traceFacts(trace);
  const ref = (i: number) => {
    const s = trace.spans[i]!;
    return { span_id: s.span_id, name: clipText(s.name, 120), start_time: s.start_time, duration_ms: round(facts[i]!.durationMs) };
  };
  const session: TraceSummary['session'] = { id: meta.id, title: clipText(meta.title, 200), engine: meta.engine, status: meta.status, started_at: meta.started_at };
  if (meta.waiting_on !== undefined) session.waiting_on = meta.waiting_on;
  const reason = shownReason(meta);
  if (reason !== undefined) session.reason = clipText(reason, 300);
  if (meta.ended_at !== undefined) session.ended_at = meta.ended_at;
  if (meta.duration_ms !== undefined) session.duration_ms = meta.duration_ms;
  const errors = agg.errorIdx.slice(-limits.errors).reverse(); // the most recent errors
  const hints: string[] = [];
  if (agg.errorCount > 0) hints.push(`All ${plural(agg.errorCount, 'error span')}: get_trace view="spans" status="error".`);
  if (agg.benignCount > 0) hints.push(`${plural(agg.benignCount, 'span')} recorded as ERROR ${agg.benignCount === 1 ? 'is' : 'are'} protocol noise, not counted as errors (probes answered "method not found", requests left unanswered when the other side closed).`);
  hints.push('Every span, paged: get_trace view="spans"; the call hierarchy: view="tree"; one span in full: get_span.');
  if (trace.stats.corruptLines > 0 || trace.stats.truncated) hints.push('The trace file has unreadable lines or was cut short (e.g. the writer crashed); every complete line was read.');
  const summary: TraceSummary = {
    session,
    span_count: trace.spans.length,
    error_count: agg.errorCount,
    corrupt_lines: trace.stats.corruptLines,
    truncated: trace.stats.truncated,
    methods: agg.methods.slice(0, limits.methods),
    tools: agg.tools.slice(0, limits.tools),
    errors: errors.map((i) => ({ ...ref(i), message: clipText(facts[i]!.errorMessage ?? '', limits.message) })),
    slowest: agg.slowestIdx.slice(0, limits.slowest).map((i) => {
      const args = argsPreview(trace.spans[i]!);
      const outcome = facts[i]!.outcome;
      return { ...ref(i), status: trace.spans[i]!.status.status_code, ...(outcome !== 'ok' ? { outcome } : {}), ...(args !== undefined ? { args } : {}) };
    }),
    omitted: {
      methods: Math.max(0, agg.methods.length - limits.methods),
      tools: Math.max(0, agg.tools.length - limits.tools),
      errors: Math.max(0, agg.errorCount - errors.length),
    },
    hints,
  };
  if (agg.firstStart !== undefined && agg.lastEnd !== undefined) {
    summary.first_start = formatMicros(agg.firstStart);
    summary.last_end = formatMicros(agg.lastEnd);
    summary.wall_ms = round((agg.lastEnd - agg.firstStart) / 1000);
  }
  return summary;
}

/** The summary as compact text for a model. */
export function renderSummary(s: TraceSummary): string {
  const lines: string[] = [];
  const sess = s.session;
  lines.push(`Session ${sess.id} — ${sess.title}`);
  lines.push(
    `engine ${sess.engine}, status ${sess.status}${sess.waiting_on ? ` (waiting on ${sess.waiting_on})` : ''}${sess.reason ? ` (${sess.reason})` : ''}, started ${sess.started_at}${sess.ended_at ? `, ended ${sess.ended_at}` : ''}${sess.duration_ms !== undefined ? `, ${formatDuration(sess.duration_ms)}` : ''}`,
  );
  lines.push(`${s.span_count} span${s.span_count === 1 ? '' : 's'}, ${s.error_count} error${s.error_count === 1 ? '' : 's'}${s.wall_ms !== undefined ? `, ${s.first_start} → ${s.last_end} (${formatDuration(s.wall_ms)})` : ''}`);
  if (s.corrupt_lines > 0 || s.truncated) lines.push(`warning: ${s.corrupt_lines} unreadable lines${s.truncated ? ', file cut short' : ''}`);
  const counts = (title: string, rows: TraceSummary['methods'], omitted: number) => {
    if (rows.length === 0) return;
    lines.push('', `${title}:`);
    for (const r of rows) lines.push(`  ${r.name}: ${r.count}${r.errors ? ` (${plural(r.errors, 'error')})` : ''}, max ${formatDuration(r.max_ms)}`);
    if (omitted > 0) lines.push(`  … ${omitted} more`);
  };
  counts('By method', s.methods, s.omitted.methods);
  counts('By tool', s.tools, s.omitted.tools);
  if (s.errors.length > 0) {
    lines.push('', `Errors (most recent first${s.omitted.errors ? `, ${s.omitted.errors} more not shown` : ''}):`);
    for (const e of s.errors) lines.push(`  ${e.span_id} ${e.start_time} ${e.name}: ${e.message}`);
  }
  if (s.slowest.length > 0) {
    lines.push('', 'Slowest spans:');
    for (const e of s.slowest) lines.push(`  ${e.span_id} ${formatDuration(e.duration_ms)} ${outcomeMark(e.outcome as OutcomeKind | undefined)} ${e.name}${e.args ? ` ${e.args}` : ''}`);
  }
  lines.push('', ...s.hints);
  return lines.join('\n');
}
