import { Attr, type Span } from '../core/span.js';

/** Longest argument preview, in characters. */
export const ARGS_PREVIEW_CHARS = 100;

/**
 * A one-line preview of what a call was asked to do: a tool call's arguments as compact JSON
 * (`{"path":"/tmp/x"}`, from `mcp.tool.input_json` or else the request) or a resource URI; cut to about 100 characters
 * with `…`. Undefined for spans without arguments worth showing.
 */
export function argsPreview(span: Span): string | undefined {
  const a = span.attributes;
  const input = a[Attr.TOOL_INPUT_JSON];
  if (typeof input === 'string') return clip(compactJson(input));
  const request = a[Attr.REQUEST_JSON];
  // Producers that keep only the request: its params.arguments (bodies too large to parse cheaply are skipped).
  if (a[Attr.MCP_METHOD] === 'tools/call' && typeof request === 'string' && request.length <= 20_000) {
    const args = argumentsOf(request);
    if (args !== undefined) return clip(args);
  }
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

function argumentsOf(requestJson: string): string | undefined {
  try {
    const args = (JSON.parse(requestJson) as { params?: { arguments?: unknown } })?.params?.arguments;
    return args === undefined ? undefined : JSON.stringify(args);
  } catch {
    return undefined;
  }
}

function clip(text: string): string {
  return text.length > ARGS_PREVIEW_CHARS ? `${text.slice(0, ARGS_PREVIEW_CHARS - 1)}…` : text;
}
