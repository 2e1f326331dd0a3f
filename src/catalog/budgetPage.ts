/** Bytes kept free in every page for its header, footer and cursor. */
export const PAGE_RESERVE_BYTES = 700;

/**
 * Takes items `offset`, `offset+1`, ... while fewer than `limit` were taken and their text line
 * plus JSON row still fit in `byteBudget` (less {@link PAGE_RESERVE_BYTES}). At least one item is
 * taken when any is left, so paging always progresses. `next` is the offset of the first item
 * not taken, or undefined when none is left.
 */
export function budgetPage<R>(
  count: number,
  offset: number,
  limit: number,
  byteBudget: number,
  render: (index: number) => { line: string; row: R },
): { lines: string[]; rows: R[]; next?: number } {
  const lines: string[] = [];
  const rows: R[] = [];
  let used = PAGE_RESERVE_BYTES;
  let i = offset;
  for (; i < count && rows.length < limit; i++) {
    const { line, row } = render(i);
    const size = Buffer.byteLength(line, 'utf8') + Buffer.byteLength(JSON.stringify(row), 'utf8') + 2;
    if (rows.length > 0 && used + size > byteBudget) break;
    used += size;
    lines.push(line);
    rows.push(row);
  }
  return i < count ? { lines, rows, next: i } : { lines, rows };
}

/** UTF-8 size of a result's text plus its structured content, the figure kept under the byte budget. */
export function resultBytes(text: string, structured: unknown): number {
  return Buffer.byteLength(text, 'utf8') + Buffer.byteLength(JSON.stringify(structured), 'utf8');
}
