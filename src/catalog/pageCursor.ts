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

/** An opaque cursor: base64url of `{ v, o, s?, f }`, where `f` ties it to its query. */
export function encodeCursor(position: PagePosition, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ v: 1, ...position, f: fingerprint }), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor}; throws INVALID_CURSOR when it is malformed
 * or was issued for another query (different tool, session or filters).
 */
export function decodeCursor(cursor: string, fingerprint: string): PagePosition {
  let raw: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,1000}$/.test(cursor)) throw new Error('not base64url');
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InspectorError('INVALID_CURSOR', `cursor ${JSON.stringify(cursor.slice(0, 40))} is not one this server issued`);
  }
  const parsed = CursorSchema.safeParse(raw);
  if (!parsed.success) throw new InspectorError('INVALID_CURSOR', `cursor ${JSON.stringify(cursor.slice(0, 40))} is not one this server issued`);
  if (parsed.data.f !== fingerprint) {
    throw new InspectorError('INVALID_CURSOR', 'the cursor was issued for a different session or different filters');
  }
  const { o, s } = parsed.data;
  return s === undefined ? { o } : { o, s };
}
