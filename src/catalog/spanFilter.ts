import { z } from 'zod';
import type { Span } from '../core/span.js';
import type { SpanFacts } from './spanFacts.js';

/** Span filters shared by get_trace and search_spans. All optional; all given must match. */
export const SpanFilterShape = {
  status: z.literal('error').optional().describe('"error": only real errors (tool results with isError, JSON-RPC errors, transport failures); probes answered "method not found" and requests left unanswered when the other side closed are not errors.'),
  name: z.string().max(200).optional().describe('Case-insensitive substring of the span name, e.g. "read_file".'),
  method: z.string().max(200).optional().describe('Exact MCP method, e.g. "tools/call".'),
  tool: z.string().max(200).optional().describe('Exact tool name (gen_ai.tool.name).'),
};

export interface SpanFilter {
  status?: 'error' | undefined;
  name?: string | undefined;
  method?: string | undefined;
  tool?: string | undefined;
}

/** True when at least one filter is set. */
export function hasSpanFilter(f: SpanFilter): boolean {
  return f.status !== undefined || !!f.name || f.method !== undefined || f.tool !== undefined;
}

/** A predicate over (span, facts) for the given filters. */
export function spanMatcher(f: SpanFilter): (span: Span, facts: SpanFacts) => boolean {
  const name = f.name?.toLowerCase();
  return (span, facts) =>
    (f.status === undefined || facts.isError) &&
    (!name || span.name.toLowerCase().includes(name)) &&
    (f.method === undefined || facts.method === f.method) &&
    (f.tool === undefined || facts.tool === f.tool);
}

/** Describes filters for messages, e.g. `status=error, tool="read_file"`. */
export function describeFilter(f: SpanFilter & { query?: string | undefined }): string {
  const parts: string[] = [];
  if (f.query) parts.push(`query=${JSON.stringify(f.query)}`);
  if (f.status) parts.push(`status=${f.status}`);
  if (f.name) parts.push(`name~${JSON.stringify(f.name)}`);
  if (f.method !== undefined) parts.push(`method=${JSON.stringify(f.method)}`);
  if (f.tool !== undefined) parts.push(`tool=${JSON.stringify(f.tool)}`);
  return parts.join(', ') || 'no filters';
}
