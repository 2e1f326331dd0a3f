import { z } from 'zod';
import { formatDuration } from '../core/formatDuration.js';
import { clipText } from './clipText.js';
import { outcomeMark, traceFacts } from './spanFacts.js';
import type { LoadedTrace } from './loadedTrace.js';

/** One line of get_trace view "tree". */
export const TreeNodeSchema = z.object({
  span_id: z.string(),
  parent_span_id: z.string().optional(),
  depth: z.number().int(),
  name: z.string(),
  duration_ms: z.number(),
  status: z.enum(['UNSET', 'OK', 'ERROR']),
  children: z.number().int(),
  hidden_descendants: z.number().int().optional(),
});
export type TreeNode = z.infer<typeof TreeNodeSchema>;

interface Hierarchy {
  roots: number[];
  children: number[][];
}

/** Parent/child links by index, children in start order; spans whose parent is not in the trace are roots. */
function hierarchy(trace: LoadedTrace): Hierarchy {
  return trace.memo('hierarchy', () => {
    const facts = traceFacts(trace);
    const byId = new Map<string, number>();
    trace.spans.forEach((s, i) => byId.set(s.span_id, i));
    const children: number[][] = trace.spans.map(() => []);
    const roots: number[] = [];
    trace.spans.forEach((s, i) => {
      const p = s.parent_span_id === undefined ? undefined : byId.get(s.parent_span_id);
      if (p === undefined || p === i) roots.push(i);
      else children[p]!.push(i);
    });
    const byStart = (a: number, b: number) => facts[a]!.startMicros - facts[b]!.startMicros;
    roots.sort(byStart);
    for (const c of children) if (c.length > 1) c.sort(byStart);
    return { roots, children };
  });
}

/**
 * The pre-order listing of the span hierarchy down to `maxDepth` (0 = roots only), keeping
 * only spans for which `keep(index)` holds or that have such a descendant. Each entry counts
 * the kept descendants hidden below the depth limit. Cycles in parent links are cut.
 */
export function treeListing(trace: LoadedTrace, maxDepth: number, key: string, keep?: (index: number) => boolean): Array<{ index: number; depth: number; hidden: number }> {
  return trace.memo(`filter:tree:${maxDepth}:${key}`, () => {
    const { roots, children } = hierarchy(trace);
    const out: Array<{ index: number; depth: number; hidden: number }> = [];
    const visited = new Uint8Array(trace.spans.length);
    // Kept-subtree sizes, computed iteratively (deep chains must not overflow the stack).
    const size = new Int32Array(trace.spans.length);
    const order: number[] = [];
    const allRoots = [...roots];
    const visit = (root: number) => {
      const stack = [root];
      while (stack.length > 0) {
        const i = stack.pop()!;
        if (visited[i]) continue;
        visited[i] = 1;
        order.push(i);
        for (const c of children[i]!) if (!visited[c]) stack.push(c);
      }
    };
    for (const r of roots) visit(r);
    // Spans in a parent cycle are unreachable from any root: show each cycle from one of its spans.
    for (let i = 0; i < trace.spans.length; i++) {
      if (visited[i]) continue;
      allRoots.push(i);
      visit(i);
    }
    for (let k = order.length - 1; k >= 0; k--) {
      const i = order[k]!;
      let s = !keep || keep(i) ? 1 : 0;
      for (const c of children[i]!) s += size[c]!;
      size[i] = s;
    }
    const walk: Array<{ index: number; depth: number }> = allRoots.slice().reverse().map((index) => ({ index, depth: 0 }));
    const seen = new Uint8Array(trace.spans.length);
    while (walk.length > 0) {
      const { index, depth } = walk.pop()!;
      if (seen[index] || size[index] === 0) continue;
      seen[index] = 1;
      const kids = children[index]!;
      if (depth >= maxDepth) {
        out.push({ index, depth, hidden: size[index]! - (!keep || keep(index) ? 1 : 0) });
        continue;
      }
      out.push({ index, depth, hidden: 0 });
      for (let c = kids.length - 1; c >= 0; c--) walk.push({ index: kids[c]!, depth: depth + 1 });
    }
    return out;
  });
}

/** The node and text line of one listing entry. */
export function treeNode(trace: LoadedTrace, entry: { index: number; depth: number; hidden: number }): { line: string; row: TreeNode } {
  const span = trace.spans[entry.index]!;
  const facts = traceFacts(trace)[entry.index]!;
  const { children } = hierarchy(trace);
  const row: TreeNode = {
    span_id: span.span_id,
    depth: entry.depth,
    name: clipText(span.name, 120),
    duration_ms: Number(facts.durationMs.toFixed(3)),
    status: span.status.status_code,
    children: children[entry.index]!.length,
  };
  if (span.parent_span_id) row.parent_span_id = span.parent_span_id;
  if (entry.hidden > 0) row.hidden_descendants = entry.hidden;
  const mark = outcomeMark(facts.outcome);
  const err = facts.errorMessage ? ` — ${clipText(facts.errorMessage, 120)}` : '';
  const hidden = entry.hidden > 0 ? ` (+${entry.hidden} below; raise depth)` : '';
  return { row, line: `${'  '.repeat(entry.depth)}${mark} ${row.name} ${formatDuration(row.duration_ms)} [${span.span_id}]${err}${hidden}` };
}
