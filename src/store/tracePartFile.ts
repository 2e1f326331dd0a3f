import { randomBytes } from 'node:crypto';
import { open, rename, truncate, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { InspectorError } from '../core/errors.js';
import { forgetTraceFile, scanTraceFile } from './fileLayout.js';
import { encodeMemberIndex, encodeMemberRecord } from './memberIndex.js';
import { memberErrorCounts } from './memberCounts.js';
import { memberIndexPath, traceFilePath } from './paths.js';

/** A complete gzip member to append, with what its index record says about it. */
export interface AppendMember {
  member: Buffer;
  /** Uncompressed length. */
  ndjsonLength: number;
  spans: number;
  /** Spans of the member with status ERROR. */
  errors: number;
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
 * (a member cut short or garbled by a crash) and rewriting the sidecar index from the verified
 * layout, so new members never sit behind garbage and the index holds no stale record.
 * Resolves to undefined when there is no part (or the last one held no good member: it is
 * removed, so no unreadable file is left): the caller then creates it with its first members.
 */
export async function reopenTracePart(tracesDir: string, sessionId: string, lastPart: number): Promise<TracePartFile | undefined> {
  if (lastPart < 0) return undefined;
  const path = traceFilePath(tracesDir, sessionId, lastPart);
  const layout = await scanTraceFile(path);
  if (layout.members.length === 0) {
    if (layout.size > 0 && !(await startsLikeGzip(path))) throw new InspectorError('CORRUPT_TRACE', `${path} is not a gzip trace: not appending to it`);
    await unlink(path);
    await unlink(memberIndexPath(path)).catch(() => undefined);
    forgetTraceFile(path);
    return undefined;
  }
  if (layout.truncated || layout.completeBytes < layout.size) await truncate(path, layout.completeBytes);
  const members = await memberErrorCounts(path, layout.members);
  await writeFile(memberIndexPath(path), encodeMemberIndex(members), { mode: 0o600 });
  forgetTraceFile(path);
  return openPart(path, lastPart, layout.completeBytes);
}

/**
 * Creates part `part` of a session holding `first` (its first members) and opens it for
 * appending. The file appears complete (written beside it, then renamed), so no reader and
 * no crash ever sees an empty or half-made part.
 */
export async function createTracePart(tracesDir: string, sessionId: string, part: number, first: readonly AppendMember[]): Promise<TracePartFile> {
  const path = traceFilePath(tracesDir, sessionId, part);
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const records = [];
  let size = 0;
  for (const m of first) {
    records.push({ offset: size, length: m.member.length, ndjsonLength: m.ndjsonLength, spans: m.spans, errors: m.errors });
    size += m.member.length;
  }
  try {
    await writeFile(memberIndexPath(path), encodeMemberIndex(records), { mode: 0o600 });
    await writeFile(tmp, first.length === 1 ? first[0]!.member : Buffer.concat(first.map((m) => m.member)), { mode: 0o600 });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  forgetTraceFile(path);
  return openPart(path, part, size);
}

/** Most members whose index records wait to be written together. */
const INDEX_BATCH = 8;

async function openPart(path: string, part: number, size: number): Promise<TracePartFile> {
  const fh = await open(path, 'a', 0o600);
  let idx: FileHandle;
  try {
    idx = await open(memberIndexPath(path), 'a', 0o600);
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
        records.push(encodeMemberRecord({ offset: file.size, length: m.member.length, ndjsonLength: m.ndjsonLength, spans: m.spans, errors: m.errors }));
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

async function startsLikeGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}
