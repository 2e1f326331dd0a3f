import { readFile } from 'node:fs/promises';

/**
 * One gzip member of a trace file, as recorded in its sidecar index (`<trace>.idx`):
 * where it is stored, how long it is compressed and decompressed, how many spans it holds.
 */
export interface MemberRecord {
  offset: number;
  length: number;
  ndjsonLength: number;
  spans: number;
}

/** Size of one binary index record: offset f64, length u32, ndjson length u32, spans u32 (LE). */
export const MEMBER_RECORD_BYTES = 20;

/** Encodes one record for appending to the sidecar index. */
export function encodeMemberRecord(rec: MemberRecord): Buffer {
  const buf = Buffer.allocUnsafe(MEMBER_RECORD_BYTES);
  buf.writeDoubleLE(rec.offset, 0);
  buf.writeUInt32LE(rec.length, 8);
  buf.writeUInt32LE(rec.ndjsonLength, 12);
  buf.writeUInt32LE(rec.spans, 16);
  return buf;
}

/**
 * Reads a sidecar index and keeps the longest valid prefix: records must be contiguous from
 * offset 0 and end within `fileSize`. A missing or unreadable index yields no records (the
 * caller then scans the trace); a torn last record (crash mid-append) is ignored.
 */
export async function readMemberIndex(indexPath: string, fileSize: number): Promise<MemberRecord[]> {
  let buf: Buffer;
  try {
    buf = await readFile(indexPath);
  } catch {
    return [];
  }
  const records: MemberRecord[] = [];
  let expected = 0;
  for (let pos = 0; pos + MEMBER_RECORD_BYTES <= buf.length; pos += MEMBER_RECORD_BYTES) {
    const offset = buf.readDoubleLE(pos);
    const length = buf.readUInt32LE(pos + 8);
    if (offset !== expected || length === 0 || offset + length > fileSize) break;
    records.push({ offset, length, ndjsonLength: buf.readUInt32LE(pos + 12), spans: buf.readUInt32LE(pos + 16) });
    expected = offset + length;
  }
  return records;
}
