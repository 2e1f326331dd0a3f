/**
 * `value` when it has at most `maxChars` characters, else its first `maxChars` characters
 * followed by a marker saying how long the whole value was.
 */
export function clipText(value: string, maxChars: number): string {
  if (value.length <= maxChars) return value;
  return `${value.slice(0, Math.max(0, maxChars))}… [cut: ${value.length.toLocaleString('en-US')} chars in all]`;
}
