import type { Attributes, Span } from './span.js';

/** Largest `*_json` attribute value written, in UTF-8 bytes (DESIGN section 4). */
export const JSON_ATTRIBUTE_CAP_BYTES = 30 * 1024;

/**
 * Cuts every attribute whose key ends in `_json` to at most `capBytes` UTF-8 bytes
 * (never splitting a character) and sets `<key>_truncated: true` on the ones cut.
 * Mutates and returns `attributes`; a no-op for values already under the cap.
 */
export function capJsonAttributes(attributes: Attributes, capBytes: number = JSON_ATTRIBUTE_CAP_BYTES): Attributes {
  // for-in rather than Object.keys: this runs once per written span, so no array per call.
  for (const key in attributes) {
    if (!key.endsWith('_json')) continue;
    const value = attributes[key];
    if (typeof value !== 'string') continue;
    // A string of n UTF-16 units is at most 3n UTF-8 bytes: skip the byte count when that fits.
    if (value.length * 3 <= capBytes) continue;
    if (Buffer.byteLength(value, 'utf8') <= capBytes) continue;
    attributes[key] = truncateUtf8(value, capBytes);
    attributes[`${key}_truncated`] = true;
  }
  return attributes;
}

/**
 * Caps the `*_json` attributes of a span and of its events (capJsonAttributes), mutating it.
 * Most spans have nothing to cut: those cost one pass over their keys and no allocation.
 */
export function capSpanJson(span: Span, capBytes: number = JSON_ATTRIBUTE_CAP_BYTES): Span {
  capIfLong(span.attributes, capBytes);
  if (span.events) for (const e of span.events) if (e.attributes) capIfLong(e.attributes, capBytes);
  return span;
}

function capIfLong(attributes: Attributes, capBytes: number): void {
  for (const key in attributes) {
    const value = attributes[key];
    if (typeof value === 'string' && value.length * 3 > capBytes && key.endsWith('_json')) {
      capJsonAttributes(attributes, capBytes);
      return;
    }
  }
}

/** The longest prefix of `value` whose UTF-8 encoding fits in `maxBytes`, cut on a character boundary. */
export function truncateUtf8(value: string, maxBytes: number): string {
  const buf = Buffer.from(value, 'utf8');
  if (buf.length <= maxBytes) return value;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}
