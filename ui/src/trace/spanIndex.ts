import type { SpanRow } from './spanRow.js';

/**
 * The session's spans and their tree. Rows are added in file (end) order, so a child usually
 * arrives before its parent: the tree is rebuilt from scratch by `layout()` (O(n log n), run
 * at most a few times a second while loading), never patched. A span whose parent is not in
 * the trace (yet) is a root; a parent cycle (malformed ids) is broken by showing its members
 * as roots.
 */
export class SpanIndex {
  readonly rows: SpanRow[] = [];
  private readonly byId = new Map<string, number>();
  /** Collapsed rows (by idx): their subtrees are hidden. */
  readonly collapsed = new Set<number>();
  /** Display order of the visible rows (row idx). */
  order: Int32Array = new Int32Array(0);
  /** Per row idx: depth in the tree, parent idx (-1 for roots), number of children. */
  depth: Uint16Array = new Uint16Array(0);
  parent: Int32Array = new Int32Array(0);
  childCount: Int32Array = new Int32Array(0);
  /** Position of each row idx in `order`, -1 when hidden under a collapsed ancestor. */
  position: Int32Array = new Int32Array(0);
  /** Earliest start and latest end over all rows (NaN when empty). */
  minStart = Number.NaN;
  maxEnd = Number.NaN;
  private laidOut = 0;

  /** Adds rows; call `layout()` before reading the tree fields. */
  add(rows: SpanRow[]): void {
    for (const row of rows) {
      this.rows.push(row);
      if (!this.byId.has(row.spanId)) this.byId.set(row.spanId, row.idx);
      if (!(row.start >= this.minStart)) this.minStart = row.start;
      if (!(row.end <= this.maxEnd)) this.maxEnd = row.end;
    }
  }

  /** True when rows were added since the last layout. */
  get stale(): boolean {
    return this.laidOut !== this.rows.length;
  }

  /** The row with span id `spanId`. */
  find(spanId: string): SpanRow | undefined {
    const i = this.byId.get(spanId);
    return i === undefined ? undefined : this.rows[i];
  }

  /** Rebuilds parent links, depths and the visible order (children in start order). */
  layout(): void {
    const n = this.rows.length;
    const parent = new Int32Array(n).fill(-1);
    const childCount = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const pid = this.rows[i]!.parentId;
      const p = pid === undefined ? undefined : this.byId.get(pid);
      if (p !== undefined && p !== i) {
        parent[i] = p;
        childCount[p]!++;
      }
    }
    // Children lists as one flat array (CSR): start index per parent, then sorted by start.
    const firstChild = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) firstChild[i + 1] = firstChild[i]! + childCount[i]!;
    const fill = firstChild.slice(0, n);
    const children = new Int32Array(firstChild[n]!);
    const roots: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = parent[i]!;
      if (p < 0) roots.push(i);
      else children[fill[p]!++] = i;
    }
    const byStart = (a: number, b: number) => this.rows[a]!.start - this.rows[b]!.start || a - b;
    for (let p = 0; p < n; p++) {
      if (childCount[p]! > 1) children.subarray(firstChild[p]!, firstChild[p + 1]!).sort(byStart);
    }
    roots.sort(byStart);
    const depth = new Uint16Array(n);
    const position = new Int32Array(n).fill(-1);
    const seen = new Uint8Array(n);
    const order: number[] = [];
    const walk = (root: number) => {
      const stack: [number, number, boolean][] = [[root, 0, true]];
      while (stack.length > 0) {
        const [i, d, shown] = stack.pop()!;
        if (seen[i]) continue;
        seen[i] = 1;
        depth[i] = Math.min(d, 65535);
        if (shown) {
          position[i] = order.length;
          order.push(i);
        }
        const open = shown && !this.collapsed.has(i);
        for (let c = firstChild[i + 1]! - 1; c >= firstChild[i]!; c--) stack.push([children[c]!, d + 1, open]);
      }
    };
    for (const r of roots) walk(r);
    // Members of a parent cycle are reachable from no root: show them as roots.
    for (let i = 0; i < n; i++) {
      if (!seen[i]) {
        parent[i] = -1;
        walk(i);
      }
    }
    this.parent = parent;
    this.childCount = childCount;
    this.depth = depth;
    this.position = position;
    this.order = Int32Array.from(order);
    this.laidOut = n;
  }

  /** Expands every collapsed ancestor of `idx` (so it becomes visible after `layout()`). */
  reveal(idx: number): boolean {
    let changed = false;
    for (let p = this.parent[idx] ?? -1, guard = 0; p >= 0 && guard < 65536; p = this.parent[p] ?? -1, guard++) {
      if (this.collapsed.delete(p)) changed = true;
    }
    return changed;
  }
}
