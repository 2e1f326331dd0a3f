const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string whose opening quote is at `i`, or -1. Jumps quote to quote. */
function skipString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q === -1) return -1;
    let backslashes = 0;
    for (let k = q - 1; k > i && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 0) return q + 1;
    j = q + 1;
  }
}

function hasBackslash(text: string, from: number, to: number): boolean {
  for (let j = from; j < to; j++) if (text.charCodeAt(j) === BACKSLASH) return true;
  return false;
}

/** Index just past the JSON value starting at `i` (no leading whitespace), or -1. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(text, j) - 1;
        if (j < 0) return -1;
      } else if (d === OPEN_BRACE || d === OPEN_BRACKET) {
        depth++;
      } else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isWs(d)) break;
    j++;
  }
  return j === i ? -1 : j;
}

/**
 * Finds member `key` of the JSON object spanning `[start, end)`; returns the value's range
 * (the last one when the key repeats, as JSON.parse keeps), or undefined when absent or when
 * a key is written with escapes (it could spell `key` in disguise).
 */
function findMember(text: string, start: number, key: string): [number, number] | undefined {
  let i = skipWs(text, start);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipWs(text, i + 1);
  let found: [number, number] | undefined;
  while (i < text.length && text.charCodeAt(i) !== CLOSE_BRACE) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return undefined;
    const keyLength = keyEnd - i - 2;
    // Same length and same characters: the key itself. Otherwise an escape could still spell it.
    const isKey = keyLength === key.length && text.startsWith(key, i + 1);
    if (!isKey && keyLength > key.length && hasBackslash(text, i + 1, keyEnd - 1)) return undefined;
    i = skipWs(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return undefined;
    const valueStart = skipWs(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    if (valueEnd < 0) return undefined;
    if (isKey) found = [valueStart, valueEnd];
    i = skipWs(text, valueEnd);
    if (text.charCodeAt(i) === COMMA) i = skipWs(text, i + 1);
  }
  return found;
}

/**
 * The exact source text of the member at `path` (e.g. `['params', 'arguments']`) of the JSON
 * object `text`, as sent: whitespace, number spelling and escapes are kept, so it parses to the
 * same value JSON.parse gives for that member. Undefined when the path is absent, passes through
 * a non-object, or cannot be located for certain (escaped keys, malformed text); the caller then
 * serialises the parsed value instead. `text` should be the text the message was parsed from.
 * Cheap: strings are skipped quote to quote with indexOf.
 */
export function jsonMemberText(text: string, path: readonly string[]): string | undefined {
  let start = 0;
  let end = text.length;
  for (const key of path) {
    const range = findMember(text, start, key);
    if (range === undefined || range[1] > end) return undefined;
    [start, end] = range;
  }
  return text.slice(start, end);
}
