import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { EngineSchema, SessionStatusSchema } from '../core/session.js';
import { querySessions, type SessionFilter } from '../catalog/sessionQuery.js';
import { formatDuration, plural } from '../core/formatDuration.js';
import { budgetPage } from '../catalog/budgetPage.js';
import { SessionRowSchema, sessionRow, type SessionRow } from '../catalog/sessionRow.js';
import type { ToolContext } from './toolContext.js';
import { noMatch, runTool, toolResult } from './toolResult.js';

/** One text line per session. */
export function sessionLine(r: SessionRow): string {
  const status = r.waiting_on ? `${r.status} (waiting on ${r.waiting_on})` : r.reason ? `${r.status} (${r.reason})` : r.status;
  const dur = r.duration_ms !== undefined ? `, ${formatDuration(r.duration_ms)}` : '';
  return `${r.id} | ${status} | ${r.engine} | started ${r.started_at}${dur} | ${plural(r.span_count, 'span')}, ${plural(r.error_count, 'error')}${r.otlp_dropped ? ` (${plural(r.otlp_dropped, 'span')} not exported over OTLP)` : ''} | ${r.title}`;
}

const input = {
  status: SessionStatusSchema.optional().describe('Only sessions with this status: running, paused, completed, failed, cancelled.'),
  engine: EngineSchema.optional().describe('Only sessions recorded by this engine: proxy, inbound, client, workflow, otlp (received over OpenTelemetry).'),
  has_errors: z.boolean().optional().describe('true: only sessions that failed or had real errors (tool errors, JSON-RPC errors, transport failures), each with its reason; false: only the others. Probes answered "method not found" and requests left unanswered when the other side closed are not errors.'),
  query: z.string().max(200).optional().describe('Case-insensitive text in the id, title, reason, waiting_on or tags.'),
  since: z.string().max(64).optional().describe('Only sessions started at or after this RFC 3339 time.'),
  until: z.string().max(64).optional().describe('Only sessions started before this RFC 3339 time.'),
  limit: z.number().int().min(1).max(100).optional().describe('Page size, 1-100 (default 20).'),
  cursor: z.string().max(512).optional().describe('next_cursor of the previous page (same filters).'),
};

/** Registers `list_sessions`: recorded and live sessions, newest first, filtered and paged. */
export function registerListSessions(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'list_sessions',
    {
      title: 'List sessions',
      description:
        'Lists recorded and live MCP sessions, newest first: id, title, engine, status (running, paused, completed, failed, cancelled), why a session failed (e.g. "2 tool errors: read_text_file Access denied …" or "abandoned"), what a paused session waits on, times, span and error counts. "Which sessions failed, and why?": has_errors=true. Filter by status, engine, text, start time; page with next_cursor.',
      inputSchema: input,
      outputSchema: { sessions: z.array(SessionRowSchema), next_cursor: z.string().optional() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      runTool(async () => {
        const metas = await context.listSessions();
        const filter: SessionFilter = { ...args, limit: args.limit ?? 20 };
        let page = querySessions(metas, filter);
        if (page.sessions.length === 0 && args.cursor === undefined) {
          const filtered = args.status !== undefined || args.engine !== undefined || args.has_errors !== undefined || !!args.query || !!args.since || !!args.until;
          if (filtered) {
            const statuses = [...new Set(metas.map((m) => m.status))].join(', ') || 'none';
            return noMatch(`no session matches these filters (${metas.length} sessions recorded; statuses present: ${statuses}). Drop or loosen a filter.`);
          }
        }
        let rows = page.sessions.map(sessionRow);
        const cut = budgetPage(rows.length, 0, rows.length, context.byteBudget, (i) => ({ line: sessionLine(rows[i]!), row: rows[i]! }));
        if (cut.next !== undefined) {
          // Too big for the budget: ask again for fewer, so next_cursor starts right after the last row shown.
          page = querySessions(metas, { ...filter, limit: cut.next });
          rows = page.sessions.map(sessionRow);
        }
        const lines = rows.map(sessionLine);
        const header = rows.length === 0 ? 'No sessions recorded yet.' : `${plural(rows.length, 'session')} (newest first):`;
        const footer = page.next_cursor ? `\nMore sessions: call list_sessions again with cursor="${page.next_cursor}" and the same filters.` : '';
        const structured = page.next_cursor ? { sessions: rows, next_cursor: page.next_cursor } : { sessions: rows };
        return toolResult(`${header}\n${lines.join('\n')}${footer}`, structured);
      }),
  );
}
