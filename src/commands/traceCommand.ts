import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../core/config.js';
import { assertSessionId } from '../core/ids.js';
import type { Span } from '../core/span.js';
import { durationMs } from '../core/time.js';
import { formatDuration } from '../core/formatDuration.js';
import { readSpans, readTrace, type ReadStats } from '../store/traceReader.js';
import { UsageError, type Command } from './command.js';
import { withUsageErrors } from './parseFlags.js';
import { oneLine } from './sessionsCommand.js';

const USAGE = `usage: mcpscope trace <session_id> [--json|--tree] [--traces-dir DIR]

Prints the spans of one session, one line per span in start order.
  --json             print the spans as NDJSON, in file order
  --tree             indent child spans under their parents
  --traces-dir DIR   traces directory (default: $MCP_TRACES_DIR or ~/.mcp_traces)`;

/** `mcpscope trace <id>`: the spans of a session as lines, a tree (`--tree`) or NDJSON (`--json`). */
export const traceCommand: Command = {
  name: 'trace',
  summary: 'print the spans of a session',
  usage: USAGE,
  async run(ctx) {
    const { values, positionals } = withUsageErrors('trace', () =>
      parseArgs({
        args: ctx.argv,
        options: { json: { type: 'boolean' }, tree: { type: 'boolean' }, 'traces-dir': { type: 'string' } },
        strict: true,
        allowPositionals: true,
      }),
    );
    if (positionals.length !== 1) throw new UsageError(`trace: expected one session id, got ${positionals.length}`);
    if (values.json && values.tree) throw new UsageError('trace: --json and --tree cannot be combined');
    const id = assertSessionId(positionals[0]);
    const config = resolveConfig(values['traces-dir'] === undefined ? {} : { tracesDir: values['traces-dir'] }, ctx.env);
    let stats: ReadStats;
    if (values.json) {
      const result = readSpans(config.tracesDir, id, { signal: ctx.signal });
      for await (const span of result) if (!(await writeLine(ctx.stdout, JSON.stringify(span)))) break;
      stats = result.stats;
    } else {
      const trace = await readTrace(config.tracesDir, id);
      stats = trace.stats;
      const lines = values.tree ? renderSpanTree(trace.spans) : renderSpanLines(trace.spans);
      for (const line of lines) if (!(await writeLine(ctx.stdout, line))) break;
    }
    if (stats.truncated || stats.corruptLines > 0) {
      const notes = [stats.truncated ? 'the trace ends in a torn write' : '', stats.corruptLines > 0 ? `${stats.corruptLines} unreadable line(s) or damaged region(s) of the file skipped; every intact span was read` : ''];
      ctx.stderr.write(`mcpscope: warning: ${notes.filter(Boolean).join('; ')}\n`);
    }
    return 0;
  },
};

/** Writes one line, waiting for drain when needed; false once the reader has gone (`| head`). */
async function writeLine(out: Writable, line: string): Promise<boolean> {
  if (out.destroyed) return false;
  if (!out.write(`${line}\n`)) await once(out, 'drain');
  return true;
}

const MARK: Record<string, string> = { OK: '✓', ERROR: '✗', UNSET: '·' };

function describe(span: Span): string {
  const error = span.status.status_code === 'ERROR' && span.status.description ? `  ! ${oneLine(span.status.description, 120)}` : '';
  return `${MARK[span.status.status_code] ?? '?'} ${oneLine(span.name, 120)}${error}`;
}

function byStart(a: Span, b: Span): number {
  return a.start_time < b.start_time ? -1 : a.start_time > b.start_time ? 1 : 0;
}

/** One line per span, sorted by start time: start, duration, status mark, name, error. */
export function renderSpanLines(spans: Span[]): string[] {
  return [...spans].sort(byStart).map((s) => `${s.start_time}  ${formatDuration(durationMs(s.start_time, s.end_time)).padStart(8)}  ${describe(s)}`);
}

/** Spans as a tree: children indented under parents (orphans at the root), siblings by start. */
export function renderSpanTree(spans: Span[]): string[] {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of spans) {
    if (s.parent_span_id !== undefined && s.parent_span_id !== s.span_id && ids.has(s.parent_span_id)) {
      let list = children.get(s.parent_span_id);
      if (!list) children.set(s.parent_span_id, (list = []));
      list.push(s);
    } else roots.push(s);
  }
  const out: string[] = [];
  const seen = new Set<Span>();
  const stack: { span: Span; depth: number }[] = roots.sort(byStart).reverse().map((span) => ({ span, depth: 0 }));
  while (stack.length > 0) {
    const { span, depth } = stack.pop()!;
    if (seen.has(span)) continue;
    seen.add(span);
    out.push(`${'  '.repeat(depth)}${describe(span)}  (${formatDuration(durationMs(span.start_time, span.end_time))})`);
    const kids = children.get(span.span_id);
    if (kids) for (const k of [...kids].sort(byStart).reverse()) stack.push({ span: k, depth: depth + 1 });
  }
  // Spans only reachable through a parent cycle: list them at the root rather than drop them.
  for (const s of spans) if (!seen.has(s)) out.push(`${describe(s)}  (${formatDuration(durationMs(s.start_time, s.end_time))})`);
  return out;
}
