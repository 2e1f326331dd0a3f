import { readFile } from 'node:fs/promises';

/**
 * One gzip member of a trace file, as recorded in its sidecar index (`<trace>.idx`):
 * where it is stored, how long it is compressed and decompressed, how many spans (and error
 * spans) it holds. `errors` is undefined when unknown (indexes written before it was kept).
 */
export interface MemberRecord {
  offset: number;
  length: number;
  ndjsonLength: number;
  spans: number;
  errors?: number;
}

/**
 * First bytes of a current index: a v1 index (no header, 20-byte records without error counts)
 * starts with the offset 0.0 of its first record, i.e. eight zero bytes, so the two never mix.
 */
export const INDEX_HEADER = Buffer.from('MSCPIDX2', 'latin1');

/** Size of one current record: offset f64, length u32, ndjson length u32, spans u32, errors u32 (LE). */
export const MEMBER_RECORD_BYTES = 24;
const V1_RECORD_BYTES = 20;

/** Encodes one record for appending to a current (v2) sidecar index. */
export function encodeMemberRecord(rec: MemberRecord): Buffer {
  const buf = Buffer.allocUnsafe(MEMBER_RECORD_BYTES);
  buf.writeDoubleLE(rec.offset, 0);
  buf.writeUInt32LE(rec.length, 8);
  buf.writeUInt32LE(rec.ndjsonLength, 12);
  buf.writeUInt32LE(rec.spans, 16);
  buf.writeUInt32LE(rec.errors ?? 0, 20);
  return buf;
}

/** A whole current index holding `records` (for rewriting one). */
export function encodeMemberIndex(records: readonly MemberRecord[]): Buffer {
  return Buffer.concat([INDEX_HEADER, ...records.map(encodeMemberRecord)]);
}

/**
 * Reads a sidecar index: every record that is plausible on its own (a whole-number offset,
 * a member that ends within `fileSize`, counts that fit its size), in index order. The
 * index is a hint: callers verify each record against the file before
 * trusting it. A missing or unreadable index yields no records; a torn last record (crash
 * mid-append) is ignored. Reads v1 indexes too (their `errors` are undefined).
 */
export async function readMemberIndex(indexPath: string, fileSize: number): Promise<MemberRecord[]> {
  let buf: Buffer;
  try {
    buf = await readFile(indexPath);
  } catch {
    return [];
  }
  const v2 = buf.length >= INDEX_HEADER.length && buf.subarray(0, INDEX_HEADER.length).equals(INDEX_HEADER);
  const size = v2 ? MEMBER_RECORD_BYTES : V1_RECORD_BYTES;
  const records: MemberRecord[] = [];
  for (let pos = v2 ? INDEX_HEADER.length : 0; pos + size <= buf.length; pos += size) {
    const offset = buf.readDoubleLE(pos);
    const length = buf.readUInt32LE(pos + 8);
    const ndjsonLength = buf.readUInt32LE(pos + 12);
    const spans = buf.readUInt32LE(pos + 16);
    const errors = v2 ? buf.readUInt32LE(pos + 20) : undefined;
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 18 || offset + length > fileSize) continue;
    if (spans > ndjsonLength || (errors !== undefined && errors > spans)) continue;
    records.push(errors === undefined ? { offset, length, ndjsonLength, spans } : { offset, length, ndjsonLength, spans, errors });
  }
  return records;
}
