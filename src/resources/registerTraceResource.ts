import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { plural } from '../core/formatDuration.js';
import { completeSessionId } from './completeSessionId.js';
import type { ResourceContext } from './resourceContext.js';
import { mapErrors } from './resourceErrors.js';
import { TRACE_URI_TEMPLATE } from './resourceUris.js';

/**
 * The trace as NDJSON, one span per line in file order. When the spans do not all fit in
 * `maxBytes`, the most recent ones that fit are kept and a last line
 * `{"inspector_note": "..."}` says how many were left out and where to get the rest.
 */
export function traceNdjson(sessionId: string, spans: readonly unknown[], maxBytes: number, stats?: { corruptLines: number; truncated: boolean }): string {
  const lines: string[] = [];
  let bytes = 300; // room for the note
  for (let i = spans.length - 1; i >= 0; i--) {
    const line = JSON.stringify(spans[i]);
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (bytes + size > maxBytes) break;
    bytes += size;
    lines.push(line);
  }
  lines.reverse();
  const notes: string[] = [];
  if (lines.length < spans.length) {
    notes.push(
      `cut: showing the last ${lines.length} of ${plural(spans.length, 'span')} (${maxBytes} byte limit); page through all with the get_trace tool (view "spans") or download GET /_inspector/trace/${sessionId}`,
    );
  }
  if (stats && (stats.corruptLines > 0 || stats.truncated)) notes.push(`the trace file has ${stats.corruptLines} unreadable lines${stats.truncated ? ' and was cut short' : ''}; every complete line is included`);
  if (notes.length > 0) lines.push(JSON.stringify({ inspector_note: notes.join('; ') }));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Registers `inspector://traces/{session_id}`: the session's spans as NDJSON (bounded). */
export function registerTraceResource(server: McpServer, context: ResourceContext): void {
  server.registerResource(
    'trace',
    new ResourceTemplate(TRACE_URI_TEMPLATE, { list: undefined, complete: { session_id: completeSessionId(context) } }),
    {
      title: 'Session trace (NDJSON)',
      description: 'A session\'s spans, one JSON object per line (the trace file contract). Large traces are cut to the most recent spans, with a final {"inspector_note"} line.',
      mimeType: 'application/x-ndjson',
    },
    (uri, variables) =>
      mapErrors(async () => {
        const meta = await context.getSession(decodeURIComponent(String(variables.session_id ?? '')));
        const trace = await context.loadTrace(meta.id);
        return { contents: [{ uri: uri.href, mimeType: 'application/x-ndjson', text: traceNdjson(meta.id, trace.spans, context.resourceByteBudget, trace.stats) }] };
      }),
  );
}
