/**
 * Fields that must appear at most once and that node:http would silently reduce to one value
 * (it keeps the first `Host` or `Authorization`): RFC 9112 3.2 requires 400 for several Host
 * lines, and two credentials, origins or body types are just as ambiguous.
 */
const SINGLE_FIELDS = new Set(['host', 'authorization', 'x-inspector-token', 'origin', 'content-type', 'content-length']);

/**
 * The first field of {@link SINGLE_FIELDS} that `rawHeaders` (a Node request's name/value list)
 * holds more than once, lower-cased, or undefined. Callers answer 400 and close the connection.
 */
export function repeatedSingleField(rawHeaders: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!SINGLE_FIELDS.has(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}
