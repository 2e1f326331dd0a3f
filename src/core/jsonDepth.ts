/**
 * Deepest nesting of arrays and objects accepted in JSON that crosses a boundary (HTTP bodies,
 * the control socket, signal payloads). Real payloads nest a few levels; a 20,000-deep one is
 * parsed fine by JSON.parse but overflows the stack of the recursive code that handles it next
 * (JSON.stringify, validators), so it is refused up front.
 */
export const MAX_JSON_DEPTH = 100;

/**
 * True when the JSON text `text` nests arrays/objects deeper than `max`. Scans the characters
 * once without parsing (brackets inside strings do not count), so it is safe on any input;
 * malformed text is left for JSON.parse to reject.
 */
export function jsonTextTooDeep(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * True when the value `value` (as from JSON.parse) nests arrays/objects deeper than `max`.
 * Iterative, so it cannot overflow the stack itself; stops at the first branch too deep.
 */
export function jsonValueTooDeep(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    if (depth + 1 > max) return true;
    seen.add(v);
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push({ v: child, depth: depth + 1 });
    }
  }
  return false;
}
