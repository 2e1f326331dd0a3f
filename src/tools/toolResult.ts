import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describeError, isInspectorError, type InspectorErrorCode } from '../core/errors.js';

const LABELS: Record<InspectorErrorCode, string> = {
  INVALID_SESSION_ID: 'Invalid session id',
  INVALID_ARGUMENT: 'Invalid argument',
  SESSION_NOT_FOUND: 'Session not found',
  SPAN_NOT_FOUND: 'Span not found',
  SESSION_NOT_LIVE: 'Session is not live',
  SIGNAL_NOT_EXPECTED: 'Signal not expected',
  UNKNOWN_SIGNAL: 'Unknown signal',
  INVALID_CURSOR: 'Invalid cursor',
  CORRUPT_TRACE: 'Trace file is corrupt',
  IO_ERROR: 'Could not read the traces directory',
  CONFLICT: 'Conflict',
  UNAVAILABLE: 'Unavailable',
  INTERNAL: 'Internal error',
};

const HINTS: Partial<Record<InspectorErrorCode, string>> = {
  INVALID_SESSION_ID: 'Session ids come from list_sessions.',
  SESSION_NOT_FOUND: 'Call list_sessions to see the recorded sessions.',
  SPAN_NOT_FOUND: 'Span ids come from get_trace (view "spans" or "tree") or search_spans.',
  SESSION_NOT_LIVE: 'Only running or paused sessions can be steered; finished sessions can still be read with get_trace.',
  INVALID_CURSOR: 'Pass the next_cursor of the previous page unchanged, with the same filters, or drop it to start over.',
};

/** A successful tool result: `text` for the model, `structured` matching the tool's outputSchema. */
export function toolResult(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** A tool error (`isError: true`) that names the error code, says why, and what to do next. */
export function toolError(err: unknown): CallToolResult {
  const code: InspectorErrorCode = isInspectorError(err) ? err.code : 'INTERNAL';
  const hint = HINTS[code];
  const text = `${LABELS[code]} (${code}): ${describeError(err)}${hint ? `\n${hint}` : ''}`;
  return { content: [{ type: 'text', text }], isError: true };
}

/** Runs a tool body and turns any thrown error into a tool error result (never a protocol error). */
export async function runTool(body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (err) {
    return toolError(err);
  }
}

/** A tool error for a query that matched nothing: says what was asked and what exists instead. */
export function noMatch(message: string): CallToolResult {
  return { content: [{ type: 'text', text: `No match: ${message}` }], isError: true };
}
