import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { InspectorError } from '../core/errors.js';
import type { SessionMeta } from '../core/session.js';
import type { Span } from '../core/span.js';
import { parseMicros } from '../core/time.js';
import { clipText } from './clipText.js';
import { formatDuration } from '../core/formatDuration.js';
import { decodeCursor, encodeCursor, queryFingerprint } from './pageCursor.js';
import { traceFacts } from './spanFacts.js';
import { describeFilter, spanMatcher } from './spanFilter.js';
import type { ToolContext } from './toolContext.js';
import { noMatch, resultBytes, runTool, toolResult } from './toolResult.js';
import { PAGE_RESERVE_BYTES } from './budgetPage.js';

const input = {
  query: z.string().min(1).max(200).optional().describe('Case-insensitive text to find in span names and attribute values (request/response bodies, tool names, errors).'),
  session_id: z.string().max(200).optional().describe('Search only this session.'),
  status: z.literal('error').optional().describe('"error": only failed spans.'),
  method: z.string().max(200).optional().describe('Exact MCP method, e.g. "tools/call".'),
  tool: z.string().max(200).optional().describe('Exact tool name.'),
  since: z.string().max(64).optional().describe('Only spans started at or after this RFC 3339 time.'),
  until: z.string().max(64).optional().describe('Only spans started before this RFC 3339 time.'),
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
  error: z.string().optional(),
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
        'Finds spans across sessions (or in one): text in span names and attribute values, failed spans, a method or a tool, a time window. Newest sessions first, newest spans first within each. Each hit names its session_id and span_id for get_span.',
      inputSchema: input,
      outputSchema: { results: z.array(HitSchema), next_cursor: z.string().optional(), scanned_sessions: z.number().int() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      runTool(async () => {
        const since = timeBound('since', args.since);
        const until = timeBound('until', args.until);
        const sessions = args.session_id !== undefined ? [await context.getSession(args.session_id)] : await context.listSessions();
        const fingerprint = queryFingerprint(['search_spans', args.query ?? '', args.session_id ?? '', args.status ?? '', args.method ?? '', args.tool ?? '', args.since ?? '', args.until ?? '']);
        const position = args.cursor === undefined ? undefined : decodeCursor(args.cursor, fingerprint);
        let start = 0;
        if (position?.s !== undefined) {
          start = sessions.findIndex((m) => m.id === position.s);
          if (start === -1) throw new InspectorError('INVALID_CURSOR', `the session the cursor continues in (${position.s}) is gone; search again without the cursor`);
        }
        const limit = args.limit ?? 20;
        const needle = args.query?.toLowerCase();
        const matches = spanMatcher({ status: args.status, method: args.method, tool: args.tool });
        const hits: Hit[] = [];
        let bytes = PAGE_RESERVE_BYTES;
        let scannedSpans = 0;
        let scannedSessions = 0;
        let next: { s: string; o: number } | undefined;
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
            const i = n - 1 - k; // newest (last ended) first
            scannedSpans++;
            const span = trace.spans[i]!;
            const f = facts[i]!;
            if (!matches(span, f)) continue;
            if ((since !== undefined && f.startMicros < since) || (until !== undefined && f.startMicros >= until)) continue;
            const match = needle === undefined ? undefined : findText(span, needle);
            if (needle !== undefined && match === undefined) continue;
            const hit: Hit = { session_id: meta.id, span_id: span.span_id, name: clipText(span.name, 120), start_time: span.start_time, duration_ms: Number(f.durationMs.toFixed(3)), status: span.status.status_code };
            if (f.errorMessage !== undefined) hit.error = clipText(f.errorMessage, 160);
            if (match !== undefined) hit.match = match;
            const size = resultBytes(hitLine(hit), hit) + 2;
            if (hits.length >= limit || (hits.length > 0 && bytes + size > context.byteBudget)) {
              next = { s: meta.id, o: k };
              break outer;
            }
            bytes += size;
            hits.push(hit);
          }
        }
        if (hits.length === 0 && next === undefined && args.cursor === undefined) {
          return noMatch(`no span matches ${describeFilter({ ...args })}${args.since || args.until ? ' in that time window' : ''} in ${scannedSessions} session${scannedSessions === 1 ? '' : 's'}.`);
        }
        const cursor = next ? encodeCursor(next, fingerprint) : undefined;
        const header = hits.length === 0 ? `No hits in the ${scannedSessions} sessions searched so far.` : `${hits.length} span${hits.length === 1 ? '' : 's'} (newest first; ${scannedSessions} session${scannedSessions === 1 ? '' : 's'} searched):`;
        const footer = cursor ? `More: call search_spans again with the same arguments and cursor="${cursor}".` : 'End of the results.';
        const text = [header, ...hits.map(hitLine), footer, 'A hit in full: get_span with its session_id and span_id.'].join('\n');
        const structured = cursor ? { results: hits, next_cursor: cursor, scanned_sessions: scannedSessions } : { results: hits, scanned_sessions: scannedSessions };
        return toolResult(text, structured);
      }),
  );
}

function hitLine(h: Hit): string {
  const mark = h.status === 'ERROR' ? '✗' : '✓';
  return `${h.session_id} ${h.span_id} ${h.start_time} ${formatDuration(h.duration_ms)} ${mark} ${h.name}${h.error ? ` — ${h.error}` : ''}${h.match ? ` | ${h.match}` : ''}`;
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
