import { open, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { forgetTraceFile, scanTraceFile } from './fileLayout.js';
import { encodeMemberRecord, type MemberRecord } from './memberIndex.js';
import { memberIndexPath, traceFilePath } from './paths.js';

/** A complete gzip member to append, with what its index record says about it. */
export interface AppendMember {
  member: Buffer;
  /** Uncompressed length. */
  ndjsonLength: number;
  spans: number;
}

/** One trace part open for appending, with its sidecar index. */
export interface TracePartFile {
  part: number;
  path: string;
  /** Bytes of good members in the file: where the next member goes. */
  size: number;
  /**
   * Appends complete members, in order, with as few write calls as the OS allows (one writev).
   * Their index records are written with the next few (at most INDEX_BATCH members behind)
   * or at once when `indexNow`; readers scan unindexed members.
   */
  append(members: readonly AppendMember[], indexNow?: boolean): Promise<void>;
  /** Cuts the file back to `size` after a failed append (drops a partly written member). */
  rollback(): Promise<void>;
  close(sync: boolean): Promise<void>;
}

/**
 * Opens the last existing part of a session for appending after cutting off a torn tail
 * (a member cut short or garbled by a crash) and bringing the sidecar index up to date,
 * so new members never sit behind garbage. `lastPart` is -1 when there is no part yet.
 */
export async function reopenTracePart(tracesDir: string, sessionId: string, lastPart: number): Promise<TracePartFile> {
  if (lastPart < 0) return createTracePart(tracesDir, sessionId, 0);
  const path = traceFilePath(tracesDir, sessionId, lastPart);
  const layout = await scanTraceFile(path);
  if (layout.truncated || layout.completeBytes < layout.size) await truncate(path, layout.completeBytes);
  // Rewritten every time: cheap (20 bytes a member), and drops stale records a crash left behind.
  await writeFile(memberIndexPath(path), Buffer.concat(contiguousPrefix(layout.members).map(encodeMemberRecord)), { mode: 0o600 });
  forgetTraceFile(path);
  return openPart(path, lastPart, layout.completeBytes, 'a');
}

/** Creates (or empties) part `part` of a session and opens it for appending. */
export async function createTracePart(tracesDir: string, sessionId: string, part: number): Promise<TracePartFile> {
  return openPart(traceFilePath(tracesDir, sessionId, part), part, 0, 'w');
}

function contiguousPrefix(members: MemberRecord[]): MemberRecord[] {
  let end = 0;
  let i = 0;
  while (i < members.length && members[i]!.offset === end) end += members[i++]!.length;
  return members.slice(0, i);
}

/** Most members whose index records wait to be written together. */
const INDEX_BATCH = 8;

async function openPart(path: string, part: number, size: number, flags: 'a' | 'w'): Promise<TracePartFile> {
  const fh = await open(path, flags, 0o600);
  let idx: FileHandle;
  try {
    idx = await open(memberIndexPath(path), flags, 0o600);
  } catch (err) {
    await fh.close();
    throw err;
  }
  let records: Buffer[] = [];
  const writeIndex = async () => {
    if (records.length === 0) return;
    const buf = records.length === 1 ? records[0]! : Buffer.concat(records);
    records = [];
    await idx.write(buf);
  };
  const file: TracePartFile = {
    part,
    path,
    size,
    async append(members, indexNow = true) {
      let bufs = members.map((m) => m.member);
      const total = bufs.reduce((a, b) => a + b.length, 0);
      for (let done = 0; done < total; ) {
        const { bytesWritten } = bufs.length === 1 ? await fh.write(bufs[0]!) : await fh.writev(bufs);
        done += bytesWritten;
        if (done < total) bufs = remainder(bufs, bytesWritten);
      }
      for (const m of members) {
        records.push(encodeMemberRecord({ offset: file.size, length: m.member.length, ndjsonLength: m.ndjsonLength, spans: m.spans }));
        file.size += m.member.length;
      }
      if (indexNow || records.length >= INDEX_BATCH) await writeIndex();
    },
    async rollback() {
      await fh.truncate(file.size);
    },
    async close(sync) {
      try {
        await writeIndex();
        if (sync) await fh.sync();
      } finally {
        await fh.close();
        await idx.close();
      }
    },
  };
  return file;
}

/** What is left of `bufs` after the first `written` bytes (a short write). */
function remainder(bufs: Buffer[], written: number): Buffer[] {
  let i = 0;
  while (i < bufs.length && written >= bufs[i]!.length) written -= bufs[i++]!.length;
  const rest = bufs.slice(i);
  if (rest.length > 0 && written > 0) rest[0] = rest[0]!.subarray(written);
  return rest;
}
