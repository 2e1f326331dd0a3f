import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { plural } from '../core/formatDuration.js';
import { InspectorError } from '../core/errors.js';
import { isSpanId } from '../core/ids.js';
import { renderSpan } from './renderSpan.js';
import { traceFacts } from '../catalog/spanFacts.js';
import { didYouMean } from '../catalog/suggestIds.js';
import type { ToolContext } from './toolContext.js';
import { resultBytes } from '../catalog/budgetPage.js';
import { runTool, toolResult } from './toolResult.js';

const input = {
  session_id: z.string().max(200).describe('Session id from list_sessions.'),
  span_id: z.string().max(100).describe('Span id (16 hex characters) from get_trace or search_spans.'),
};

const output = {
  span: z.object({
    trace_id: z.string(),
    span_id: z.string(),
    parent_span_id: z.string().optional(),
    name: z.string(),
    kind: z.string(),
    start_time: z.string(),
    end_time: z.string(),
    duration_ms: z.number(),
    status: z.object({ status_code: z.string(), description: z.string().optional() }),
    attributes: z.record(z.string(), z.unknown()),
    events: z.array(z.object({ name: z.string(), time: z.string(), attributes: z.string().optional() })),
  }),
  cut_values: z.array(z.string()),
};

/** Registers `get_span`: one span in full, JSON attributes pretty-printed, still under the byte budget. */
export function registerGetSpan(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'get_span',
    {
      title: 'Get one span',
      description:
        'Shows one span in full: timing, status, every attribute with the JSON-RPC request/response and tool input/output parsed and pretty-printed, and its events. Very long values are cut with a marker giving their full length.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      runTool(async () => {
        const meta = await context.getSession(args.session_id);
        const spanId = args.span_id.trim().toLowerCase();
        if (!isSpanId(spanId)) throw new InspectorError('INVALID_ARGUMENT', `invalid span id ${JSON.stringify(args.span_id.slice(0, 40))}: expected 16 hex characters`);
        const trace = await context.loadTrace(meta.id);
        const byId = trace.memo('byId', () => new Map(trace.spans.map((s, i) => [s.span_id, i])));
        const index = byId.get(spanId);
        if (index === undefined) {
          throw new InspectorError('SPAN_NOT_FOUND', `no span ${spanId} in session ${meta.id} (${plural(trace.spans.length, 'span')}).${didYouMean(spanId, byId.keys())}`);
        }
        const facts = traceFacts(trace)[index]!;
        for (let cap = 8000; ; cap = Math.floor(cap / 2)) {
          const r = renderSpan(trace.spans[index]!, facts, cap);
          const structured = { span: r.span, cut_values: r.cut_values };
          if (resultBytes(r.text, structured) <= context.byteBudget || cap <= 100) return toolResult(r.text, structured);
        }
      }),
  );
}
