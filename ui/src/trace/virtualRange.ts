/**
 * The rows to render for a list of `count` rows of `rowHeight` px scrolled to `scrollTop` in a
 * viewport `height` px tall, with `overscan` extra rows each side: `[first, end)`.
 */
export function visibleRange(scrollTop: number, height: number, rowHeight: number, count: number, overscan = 8): { first: number; end: number } {
  if (count <= 0 || rowHeight <= 0) return { first: 0, end: 0 };
  const top = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const bottom = Math.ceil((Math.max(0, scrollTop) + Math.max(0, height)) / rowHeight) + overscan;
  return { first: Math.min(top, count), end: Math.min(count, Math.max(bottom, top)) };
}

/** The scrollTop that brings row `index` into view, or undefined when it is already in view. */
export function scrollToReveal(index: number, scrollTop: number, height: number, rowHeight: number): number | undefined {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + height) return top + rowHeight - height;
  return undefined;
}
