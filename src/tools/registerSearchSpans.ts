import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { InspectorError } from '../core/errors.js';
import type { SessionMeta } from '../core/session.js';
import type { Span } from '../core/span.js';
import { parseMicros } from '../core/time.js';
import { formatDuration, plural } from '../core/formatDuration.js';
import { clipText } from '../catalog/clipText.js';
import { decodeCursor, encodeCursor, queryFingerprint } from '../catalog/pageCursor.js';
import { argsPreview } from '../catalog/argsPreview.js';
import { outcomeMark, traceFacts, type SpanFacts } from '../catalog/spanFacts.js';
import { describeFilter, spanMatcher } from '../catalog/spanFilter.js';
import type { LoadedTrace } from '../catalog/loadedTrace.js';
import type { ToolContext } from './toolContext.js';
import { noMatch, runTool, toolResult } from './toolResult.js';
import { PAGE_RESERVE_BYTES, resultBytes } from '../catalog/budgetPage.js';

const input = {
  query: z.string().min(1).max(200).optional().describe('Case-insensitive text to find in span names and attribute values (request/response bodies, tool names, errors).'),
  session_id: z.string().max(200).optional().describe('Search only this session.'),
  status: z.literal('error').optional().describe('"error": only failed spans.'),
  method: z.string().max(200).optional().describe('Exact MCP method, e.g. "tools/call".'),
  tool: z.string().max(200).optional().describe('Exact tool name.'),
  since: z.string().max(64).optional().describe('Only spans started at or after this RFC 3339 time.'),
  until: z.string().max(64).optional().describe('Only spans started before this RFC 3339 time.'),
  min_duration_ms: z.number().nonnegative().max(1e9).optional().describe('Only spans that lasted at least this many milliseconds.'),
  sort: z.enum(['time', 'duration']).optional().describe('"time" (default): newest sessions first, newest spans first within each. "duration": slowest first across every session searched (e.g. "the slowest tool call": method="tools/call", sort="duration", limit=1).'),
  limit: z.number().int().min(1).max(100).optional().describe('Most results (default 20).'),
  cursor: z.string().max(1000).optional().describe('next_cursor of the previous page (same query).'),
};

const HitSchema = z.object({
  session_id: z.string(),
  span_id: z.string(),
  name: z.string(),
  start_time: z.string(),
  duration_ms: z.number(),
  status: z.string(),
  outcome: z.string().optional(),
  error: z.string().optional(),
  args: z.string().optional(),
  match: z.string().optional(),
});
type Hit = z.infer<typeof HitSchema>;

/** Most sessions and spans one call looks through before answering with a cursor to go on. */
const SCAN_SESSIONS = 100;
const SCAN_SPANS = 400_000;

/** Registers `search_spans`: text and filter search across sessions, newest first, paged. */
export function registerSearchSpans(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'search_spans',
    {
      title: 'Search spans',
      description:
        'Finds spans across sessions (or in one): text in span names and attribute values, failed spans, a method or a tool, a time window, a least duration. Newest first, or slowest first with sort="duration". Tool-call hits carry a short preview of their arguments; each hit names its session_id and span_id for get_span.',
      inputSchema: input,
      outputSchema: { results: z.array(HitSchema), next_cursor: z.string().optional(), scanned_sessions: z.number().int() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      runTool(async () => {
        const since = timeBound('since', args.since);
        const until = timeBound('until', args.until);
        const sessions = args.session_id !== undefined ? [await context.getSession(args.session_id)] : await context.listSessions();
        const sort = args.sort ?? 'time';
        const fingerprint = queryFingerprint(['search_spans', args.query ?? '', args.session_id ?? '', args.status ?? '', args.method ?? '', args.tool ?? '', args.since ?? '', args.until ?? '', args.min_duration_ms ?? '', sort]);
        const position = args.cursor === undefined ? undefined : decodeCursor(args.cursor, fingerprint);
        const limit = args.limit ?? 20;
        const needle = args.query?.toLowerCase();
        const matches = spanMatcher({ status: args.status, method: args.method, tool: args.tool });
        const minMs = args.min_duration_ms;
        /** The match snippet (or '' without a query) when span i passes every filter; undefined when it does not. */
        const passes = (span: Span, f: SpanFacts): string | undefined => {
          if (!matches(span, f)) return undefined;
          if (minMs !== undefined && f.durationMs < minMs) return undefined;
          if ((since !== undefined && f.startMicros < since) || (until !== undefined && f.startMicros >= until)) return undefined;
          return needle === undefined ? '' : findText(span, needle);
        };
        /** The hit for span i of a trace, or undefined when it does not match. */
        const hitOf = (meta: SessionMeta, trace: LoadedTrace, facts: SpanFacts[], i: number): Hit | undefined => {
          const span = trace.spans[i]!;
          const f = facts[i]!;
          const match = passes(span, f);
          if (match === undefined) return undefined;
          const hit: Hit = { session_id: meta.id, span_id: span.span_id, name: clipText(span.name, 120), start_time: span.start_time, duration_ms: Number(f.durationMs.toFixed(3)), status: span.status.status_code };
          if (f.outcome !== 'ok') hit.outcome = f.outcome;
          if (f.errorMessage !== undefined) hit.error = clipText(f.errorMessage, 160);
          const preview = argsPreview(span);
          if (preview !== undefined) hit.args = preview;
          if (match !== '') hit.match = match;
          return hit;
        };
        const hits: Hit[] = [];
        let bytes = PAGE_RESERVE_BYTES;
        /** Adds a hit when it fits the page; false when the page is full. */
        const take = (hit: Hit): boolean => {
          const size = resultBytes(hitLine(hit), hit) + 2;
          if (hits.length >= limit || (hits.length > 0 && bytes + size > context.byteBudget)) return false;
          bytes += size;
          hits.push(hit);
          return true;
        };
        let scannedSpans = 0;
        let scannedSessions = 0;
        let next: { s?: string; o: number } | undefined;
        let scanCut = false;
        if (sort === 'duration') {
          // Slowest first across sessions: every match is ranked, then paged by rank.
          const ranked: Array<{ meta: SessionMeta; trace: LoadedTrace; facts: SpanFacts[]; i: number; ms: number; at: number }> = [];
          for (const meta of sessions) {
            if (!overlaps(meta, since, until)) continue;
            if (scannedSessions >= SCAN_SESSIONS || scannedSpans >= SCAN_SPANS) {
              scanCut = true;
              break;
            }
            scannedSessions++;
            const trace = await context.loadTrace(meta.id);
            const facts = traceFacts(trace);
            scannedSpans += trace.spans.length;
            for (let i = 0; i < trace.spans.length; i++) {
              const f = facts[i]!;
              if (passes(trace.spans[i]!, f) === undefined) continue;
              ranked.push({ meta, trace, facts, i, ms: f.durationMs, at: f.startMicros });
            }
          }
          ranked.sort((a, b) => b.ms - a.ms || b.at - a.at);
          let k = position?.o ?? 0;
          for (; k < ranked.length; k++) {
            const r = ranked[k]!;
            const hit = hitOf(r.meta, r.trace, r.facts, r.i);
            if (hit !== undefined && !take(hit)) break;
          }
          if (k < ranked.length) next = { o: k };
        } else {
          let start = 0;
          if (position?.s !== undefined) {
            start = sessions.findIndex((m) => m.id === position.s);
            if (start === -1) throw new InspectorError('INVALID_CURSOR', `the session the cursor continues in (${position.s}) is gone; search again without the cursor`);
          }
          outer: for (let si = start; si < sessions.length; si++) {
            const meta = sessions[si]!;
            if (!overlaps(meta, since, until)) continue;
            if (scannedSessions >= SCAN_SESSIONS || scannedSpans >= SCAN_SPANS) {
              next = { s: meta.id, o: 0 };
              break;
            }
            scannedSessions++;
            const trace = await context.loadTrace(meta.id);
            const facts = traceFacts(trace);
            const n = trace.spans.length;
            for (let k = si === start && position ? position.o : 0; k < n; k++) {
              scannedSpans++;
              const hit = hitOf(meta, trace, facts, n - 1 - k); // newest (last ended) first
              if (hit !== undefined && !take(hit)) {
                next = { s: meta.id, o: k };
                break outer;
              }
            }
          }
        }
        if (hits.length === 0 && next === undefined && args.cursor === undefined) {
          const longer = minMs !== undefined ? ` lasting at least ${formatDuration(minMs)}` : '';
          return noMatch(`no span matches ${describeFilter({ ...args })}${longer}${args.since || args.until ? ' in that time window' : ''} in ${plural(scannedSessions, 'session')}.`);
        }
        const cursor = next ? encodeCursor(next, fingerprint) : undefined;
        const order = sort === 'duration' ? 'slowest first' : 'newest first';
        const cut = scanCut ? `; only the ${plural(scannedSessions, 'newest session')} ranked, narrow with session_id or since` : '';
        const header = hits.length === 0 ? `No hits in the ${plural(scannedSessions, 'session')} searched so far.` : `${plural(hits.length, 'span')} (${order}; ${plural(scannedSessions, 'session')} searched${cut}):`;
        const footer = cursor ? `More: call search_spans again with the same arguments and cursor="${cursor}".` : 'End of the results.';
        const text = [header, ...hits.map(hitLine), footer, 'A hit in full: get_span with its session_id and span_id.'].join('\n');
        const structured = cursor ? { results: hits, next_cursor: cursor, scanned_sessions: scannedSessions } : { results: hits, scanned_sessions: scannedSessions };
        return toolResult(text, structured);
      }),
  );
}

function hitLine(h: Hit): string {
  const mark = outcomeMark(h.outcome as SpanFacts['outcome'] | undefined);
  return `${h.session_id} ${h.span_id} ${h.start_time} ${formatDuration(h.duration_ms)} ${mark} ${h.name}${h.args ? ` ${h.args}` : ''}${h.error ? ` — ${h.error}` : ''}${h.match ? ` | ${h.match}` : ''}`;
}

function timeBound(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const micros = parseMicros(value);
  if (Number.isNaN(micros)) throw new InspectorError('INVALID_ARGUMENT', `invalid ${name} ${JSON.stringify(value.slice(0, 40))}: expected an RFC 3339 time such as 2026-01-01T12:00:00Z`);
  return micros;
}

/** False when the session certainly has no span in [since, until). */
function overlaps(meta: SessionMeta, since: number | undefined, until: number | undefined): boolean {
  if (until !== undefined && parseMicros(meta.started_at) >= until) return false;
  if (since !== undefined && meta.ended_at !== undefined && parseMicros(meta.ended_at) < since) return false;
  return true;
}

/** Where `needle` (lower case) occurs: `name` or `<attribute>: …context…`; undefined when nowhere. */
function findText(span: Span, needle: string): string | undefined {
  if (span.name.toLowerCase().includes(needle)) return 'in name';
  for (const [key, value] of Object.entries(span.attributes)) {
    const text = typeof value === 'string' ? value : String(value);
    const at = text.toLowerCase().indexOf(needle);
    if (at === -1) continue;
    const from = Math.max(0, at - 40);
    const snippet = text.slice(from, at + needle.length + 40).replace(/\s+/g, ' ');
    return `${key}: ${from > 0 ? '…' : ''}${snippet}${at + needle.length + 40 < text.length ? '…' : ''}`;
  }
  if (span.status.description?.toLowerCase().includes(needle)) return `status: ${clipText(span.status.description, 120)}`;
  return undefined;
}
