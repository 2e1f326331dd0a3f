import { constants, crc32, inflateRawSync } from 'node:zlib';

/** The outcome of checking one gzip member: its stored length and content, or why it failed. */
export type MemberCheck =
  | { ok: true; length: number; data: Buffer }
  | { ok: false; /** true when the bytes simply end too early (a cut), false when they are garbled. */ truncated: boolean };

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/** True when a gzip member (magic 1f 8b, method 8) may start at `offset`. */
export function looksLikeMemberStart(buf: Buffer, offset: number): boolean {
  return buf.length - offset >= 3 && buf[offset] === 0x1f && buf[offset + 1] === 0x8b && buf[offset + 2] === 8;
}

/** Byte length of the gzip header starting at `offset`, or -1 (cut short) / -2 (not a header). */
function headerLength(buf: Buffer, offset: number): number {
  if (buf.length - offset < 10) return buf.length - offset >= 3 && !looksLikeMemberStart(buf, offset) ? -2 : -1;
  if (!looksLikeMemberStart(buf, offset)) return -2;
  const flags = buf[offset + 3]!;
  if (flags & 0xe0) return -2;
  let pos = offset + 10;
  if (flags & FEXTRA) {
    if (pos + 2 > buf.length) return -1;
    pos += 2 + buf.readUInt16LE(pos);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    const end = buf.indexOf(0, pos);
    if (end === -1) return -1;
    pos = end + 1;
  }
  if (flags & FHCRC) pos += 2;
  return pos > buf.length ? -1 : pos - offset;
}

/**
 * Checks the gzip member starting at `offset` of `buf` (which may hold more members after it):
 * parses the header, inflates exactly one deflate stream, and verifies CRC-32 and length.
 * Synchronous and CPU-bound: callers use it for scans of unindexed bytes, not on hot paths.
 */
export function checkMember(buf: Buffer, offset: number): MemberCheck {
  const header = headerLength(buf, offset);
  if (header === -1) return { ok: false, truncated: true };
  if (header === -2) return { ok: false, truncated: false };
  const start = offset + header;
  let data: Buffer;
  let consumed: number;
  try {
    const res = inflateRawSync(buf.subarray(start), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    data = res.buffer;
    consumed = res.engine.bytesWritten;
  } catch (err) {
    return { ok: false, truncated: (err as { errno?: number }).errno === constants.Z_BUF_ERROR };
  }
  const trailer = start + consumed;
  if (trailer + 8 > buf.length) return { ok: false, truncated: true };
  if (buf.readUInt32LE(trailer) !== crc32(data) || buf.readUInt32LE(trailer + 4) !== data.length % 2 ** 32) {
    return { ok: false, truncated: false };
  }
  return { ok: true, length: trailer + 8 - offset, data };
}
