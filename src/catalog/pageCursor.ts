import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InspectorError } from '../core/errors.js';

const CursorSchema = z.object({ v: z.literal(1), o: z.number().int().nonnegative(), s: z.string().max(200).optional(), f: z.string() }).strict();

/** Where the next page starts: an offset, and for cross-session listings the session it is in. */
export interface PagePosition {
  o: number;
  s?: string;
}

/** A short stable hash of the query a cursor belongs to (tool, session, filters). */
export function queryFingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 12);
}

/** The one cursor encoding of every listing: base64url of the JSON of `payload`. */
export function encodeOpaque(payload: object): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The payload of a cursor made by {@link encodeOpaque}, or undefined when it is not base64url JSON. */
export function decodeOpaque(cursor: string): unknown {
  if (!/^[A-Za-z0-9_-]{1,1000}$/.test(cursor)) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** An opaque cursor: base64url of `{ v, o, s?, f }`, where `f` ties it to its query. */
export function encodeCursor(position: PagePosition, fingerprint: string): string {
  return encodeOpaque({ v: 1, ...position, f: fingerprint });
}

/**
 * Decodes a cursor made by {@link encodeCursor}; throws INVALID_CURSOR when it is malformed
 * or was issued for another query (different tool, session or filters).
 */
export function decodeCursor(cursor: string, fingerprint: string): PagePosition {
  const parsed = CursorSchema.safeParse(decodeOpaque(cursor));
  if (!parsed.success) throw new InspectorError('INVALID_CURSOR', `cursor ${JSON.stringify(cursor.slice(0, 40))} is not one this server issued`);
  if (parsed.data.f !== fingerprint) {
    throw new InspectorError('INVALID_CURSOR', 'the cursor was issued for a different session or different filters');
  }
  const { o, s } = parsed.data;
  return s === undefined ? { o } : { o, s };
}
