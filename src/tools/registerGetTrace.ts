import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { plural } from '../core/formatDuration.js';
import { InspectorError } from '../core/errors.js';
import { budgetPage } from '../catalog/budgetPage.js';
import { decodeCursor, encodeCursor, queryFingerprint } from '../catalog/pageCursor.js';
import { traceFacts } from '../catalog/spanFacts.js';
import { describeFilter, hasSpanFilter, spanMatcher, SpanFilterShape, type SpanFilter } from '../catalog/spanFilter.js';
import { spanRow, spanRowLine, SpanRowSchema } from './spanRow.js';
import type { LoadedTrace } from '../catalog/loadedTrace.js';
import type { ToolContext } from './toolContext.js';
import { noMatch, runTool, toolResult } from './toolResult.js';
import { summarizeTrace, TraceSummarySchema } from '../catalog/traceSummary.js';
import { liveStateLines } from '../catalog/liveStateText.js';
import { LiveStateSchema } from '../core/liveState.js';
import { treeListing, treeNode, TreeNodeSchema } from '../catalog/traceTree.js';

const input = {
  session_id: z.string().max(200).describe('Session id from list_sessions.'),
  view: z
    .enum(['summary', 'tree', 'spans'])
    .optional()
    .describe('"summary" (default without filters): counts, errors, slowest spans. "tree": the call hierarchy. "spans" (default with filters): span rows, paged.'),
  ...SpanFilterShape,
  depth: z.number().int().min(0).max(50).optional().describe('Tree view: deepest level shown (0 = roots only, default 3).'),
  limit: z.number().int().min(1).max(500).optional().describe('Rows per page (spans default 100, tree default 200); pages also stop at the byte budget.'),
  cursor: z.string().max(1000).optional().describe('next_cursor of the previous page (same view and filters).'),
};

const output = {
  summary: TraceSummarySchema.optional(),
  /** While the session is live and holds or waits on something: held items and waiters. */
  live: LiveStateSchema.optional(),
  nodes: z.array(TreeNodeSchema).optional(),
  spans: z.array(SpanRowSchema).optional(),
  next_cursor: z.string().optional(),
};

/** Registers `get_trace`: a session's trace as a summary, a tree, or filtered span rows, bounded and paged. */
export function registerGetTrace(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'get_trace',
    {
      title: 'Get a session trace',
      description:
        'Reads one session\'s trace. view "summary" (default): what a live session holds and waits on (signals to send), status, counts by method and tool, error spans with messages, slowest spans. view "tree": the span hierarchy with durations and ✓/✗ marks. view "spans": lean span rows (name, timing, outcome, error, argument preview; ✗ error, ~ recorded as ERROR but benign), filtered by status="error", name, method or tool, paged with next_cursor. Every answer stays under the byte budget; get_span shows one span in full.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      runTool(async () => {
        const meta = await context.getSession(args.session_id);
        const trace = await context.loadTrace(meta.id);
        const filter: SpanFilter = { status: args.status, name: args.name, method: args.method, tool: args.tool };
        const view = args.view ?? (hasSpanFilter(filter) || args.cursor !== undefined ? 'spans' : 'summary');
        if (view === 'summary') {
          if (args.cursor !== undefined) throw new InspectorError('INVALID_CURSOR', 'the summary has no pages; pass view "spans" or "tree" with their cursor');
          const { text, summary } = summarizeTrace(meta, trace, context.byteBudget);
          const note = hasSpanFilter(filter) ? '\n(Filters apply to views "spans" and "tree"; the summary covers the whole trace.)' : '';
          const live = context.liveState?.(meta.id);
          const liveLines = live ? liveStateLines(live) : [];
          if (!live || liveLines.length === 0) return toolResult(text + note, { summary });
          // A long pause may hold thousands: the text counts them, the structured copy keeps the oldest.
          const shown = { ...live, held: live.held.slice(0, 20), waiters: live.waiters.slice(0, 20) };
          return toolResult(`${liveLines.join('\n')}\n${text}${note}`, { summary, live: shown });
        }
        const matches = spanMatcher(filter);
        const facts = traceFacts(trace);
        const keep = hasSpanFilter(filter) ? (i: number) => matches(trace.spans[i]!, facts[i]!) : undefined;
        const fingerprint = queryFingerprint(['get_trace', meta.id, view, filter, view === 'tree' ? (args.depth ?? 3) : null]);
        const offset = args.cursor === undefined ? 0 : decodeCursor(args.cursor, fingerprint).o;
        if (view === 'tree') return treePage(context, trace, filter, keep, args.depth ?? 3, offset, args.limit ?? 200, fingerprint);

        const indices = trace.memo(`filter:spans:${fingerprint}`, () => (keep ? facts.map((_, i) => i).filter(keep) : undefined));
        const total = indices ? indices.length : trace.spans.length;
        if (total === 0 && hasSpanFilter(filter)) return noMatch(nothingMatches(trace, filter));
        if (offset > total) throw new InspectorError('INVALID_CURSOR', 'the cursor points past the end of the trace');
        const page = budgetPage(total, offset, args.limit ?? 100, context.byteBudget, (k) => {
          const i = indices ? indices[k]! : k;
          const row = spanRow(trace.spans[i]!, facts[i]!);
          return { row, line: spanRowLine(row) };
        });
        const shown = `${offset + 1}-${offset + page.rows.length} of ${total}`;
        const header = `Session ${meta.id}: spans ${total === 0 ? '(none yet)' : shown}${keep ? ` matching ${describeFilter(filter)}` : ''}, in the order they ended.`;
        const next = page.next === undefined ? undefined : encodeCursor({ o: page.next }, fingerprint);
        const footer = next ? `More: call get_trace again with view="spans", the same filters and cursor="${next}".` : 'End of the matching spans.';
        const text = [header, ...page.lines, footer, 'A span in full (attributes, JSON bodies): get_span with its span_id.'].join('\n');
        return toolResult(text, next ? { spans: page.rows, next_cursor: next } : { spans: page.rows });
      }),
  );
}

function treePage(
  context: ToolContext,
  trace: LoadedTrace,
  filter: SpanFilter,
  keep: ((i: number) => boolean) | undefined,
  depth: number,
  offset: number,
  limit: number,
  fingerprint: string,
) {
  const listing = treeListing(trace, depth, fingerprint, keep);
  if (listing.length === 0 && keep) return noMatch(nothingMatches(trace, filter));
  if (offset > listing.length) throw new InspectorError('INVALID_CURSOR', 'the cursor points past the end of the tree');
  const page = budgetPage(listing.length, offset, limit, context.byteBudget, (k) => treeNode(trace, listing[k]!));
  const next = page.next === undefined ? undefined : encodeCursor({ o: page.next }, fingerprint);
  const header = `Session ${trace.sessionId}: span tree, depth ≤ ${depth}${keep ? `, spans matching ${describeFilter(filter)} and their ancestors` : ''}; lines ${listing.length === 0 ? '(none yet)' : `${offset + 1}-${offset + page.rows.length} of ${listing.length}`}.`;
  const footer = next ? `More: call get_trace again with view="tree", the same depth and filters, and cursor="${next}".` : 'End of the tree.';
  const text = [header, ...page.lines, footer, 'One span in full: get_span with the id in brackets.'].join('\n');
  return toolResult(text, next ? { nodes: page.rows, next_cursor: next } : { nodes: page.rows });
}

/** Why a filter matched nothing, naming the methods and tools the trace does have. */
function nothingMatches(trace: LoadedTrace, filter: SpanFilter): string {
  const facts = traceFacts(trace);
  const methods = new Set<string>();
  const tools = new Set<string>();
  let errors = 0;
  for (const f of facts) {
    if (f.method !== undefined && methods.size < 15) methods.add(f.method);
    if (f.tool !== undefined && tools.size < 15) tools.add(f.tool);
    if (f.isError) errors++;
  }
  const list = (s: Set<string>) => (s.size === 0 ? 'none' : [...s].map((x) => JSON.stringify(x)).join(', '));
  return `no span of session ${trace.sessionId} matches ${describeFilter(filter)} (${plural(trace.spans.length, 'span')}, ${plural(errors, 'error')}; methods: ${list(methods)}; tools: ${list(tools)}).`;
}
