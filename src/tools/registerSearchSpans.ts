import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { formatDuration, plural } from '../core/formatDuration.js';
import { clipText } from '../catalog/clipText.js';
import { decodeCursor, encodeCursor, queryFingerprint } from '../catalog/pageCursor.js';
import { argsPreview } from '../catalog/argsPreview.js';
import { outcomeMark, type SpanFacts } from '../catalog/spanFacts.js';
import { describeFilter } from '../catalog/spanFilter.js';
import { compileSpanSearch, searchSpans, type SpanMatch } from '../catalog/spanSearch.js';
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
        const sort = args.sort ?? 'time';
        const search = compileSpanSearch({ ...args, sort });
        const sessions = args.session_id !== undefined ? [await context.getSession(args.session_id)] : await context.listSessions();
        const fingerprint = queryFingerprint(['search_spans', args.query ?? '', args.session_id ?? '', args.status ?? '', args.method ?? '', args.tool ?? '', args.since ?? '', args.until ?? '', args.min_duration_ms ?? '', sort]);
        const position = args.cursor === undefined ? undefined : decodeCursor(args.cursor, fingerprint);
        const limit = args.limit ?? 20;
        const hits: Hit[] = [];
        let bytes = PAGE_RESERVE_BYTES;
        /** Adds a hit when it fits the page; false when the page is full. */
        const take = (m: SpanMatch): boolean => {
          const hit = hitOf(m);
          const size = resultBytes(hitLine(hit), hit) + 2;
          if (hits.length >= limit || (hits.length > 0 && bytes + size > context.byteBudget)) return false;
          bytes += size;
          hits.push(hit);
          return true;
        };
        const { next, scannedSessions, scanCut } = await searchSpans(sessions, (id) => context.loadTrace(id), search, position, take);
        if (hits.length === 0 && next === undefined && args.cursor === undefined) {
          const minMs = args.min_duration_ms;
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

/** The hit row of one match: what identifies it, its outcome, an argument preview and where the text was found. */
function hitOf({ meta, span, facts: f, match }: SpanMatch): Hit {
  const hit: Hit = { session_id: meta.id, span_id: span.span_id, name: clipText(span.name, 120), start_time: span.start_time, duration_ms: Number(f.durationMs.toFixed(3)), status: span.status.status_code };
  if (f.outcome !== 'ok') hit.outcome = f.outcome;
  if (f.errorMessage !== undefined) hit.error = clipText(f.errorMessage, 160);
  const preview = argsPreview(span);
  if (preview !== undefined) hit.args = preview;
  if (match !== '') hit.match = match;
  return hit;
}

function hitLine(h: Hit): string {
  const mark = outcomeMark(h.outcome as SpanFacts['outcome'] | undefined);
  return `${h.session_id} ${h.span_id} ${h.start_time} ${formatDuration(h.duration_ms)} ${mark} ${h.name}${h.args ? ` ${h.args}` : ''}${h.error ? ` — ${h.error}` : ''}${h.match ? ` | ${h.match}` : ''}`;
}
