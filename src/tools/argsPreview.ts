import { Attr, type Span } from '../core/span.js';

/** Longest argument preview, in characters. */
export const ARGS_PREVIEW_CHARS = 100;

/**
 * A one-line preview of what a call was asked to do: a tool call's arguments as compact JSON
 * (`{"path":"/tmp/x"}`) or a resource URI; cut to about 100 characters
 * with `…`. Undefined for spans without arguments worth showing.
 */
export function argsPreview(span: Span): string | undefined {
  const a = span.attributes;
  const input = a[Attr.TOOL_INPUT_JSON];
  if (typeof input === 'string') return clip(compactJson(input));
  const uri = a[Attr.RESOURCE_URI];
  if (typeof uri === 'string') return clip(uri);
  return undefined;
}

/** JSON re-serialised without spaces when it parses (recorders keep the original text). */
function compactJson(text: string): string {
  if (text.length > 20_000) return text.replace(/\s+/g, ' ');
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text.replace(/\s+/g, ' ');
  }
}

function clip(text: string): string {
  return text.length > ARGS_PREVIEW_CHARS ? `${text.slice(0, ARGS_PREVIEW_CHARS - 1)}…` : text;
}
