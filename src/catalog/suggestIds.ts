/**
 * Up to `max` ids from `known` that look like `wanted`: ids it is a prefix of (or that are a
 * prefix of it) first, then ids containing it, then ids within a small edit distance
 * (at most a quarter of its length, at least 2). Cheap enough for 10,000 ids.
 */
export function suggestIds(wanted: string, known: Iterable<string>, max = 3): string[] {
  const w = wanted.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 4));
  const scored: Array<{ id: string; score: number }> = [];
  for (const id of known) {
    const k = id.toLowerCase();
    if (k === w) continue;
    if (k.startsWith(w) || w.startsWith(k)) scored.push({ id, score: 0 });
    else if (w.length >= 4 && k.includes(w)) scored.push({ id, score: 1 });
    else if (Math.abs(k.length - w.length) <= limit) {
      const d = editDistance(w, k, limit);
      if (d <= limit) scored.push({ id, score: 2 + d });
    }
  }
  scored.sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : 1));
  return scored.slice(0, max).map((s) => s.id);
}

/** Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/** " Did you mean: a, b?" or "" when there is nothing close. */
export function didYouMean(wanted: string, known: Iterable<string>): string {
  const close = suggestIds(wanted, known);
  return close.length === 0 ? '' : ` Did you mean: ${close.join(', ')}?`;
}
