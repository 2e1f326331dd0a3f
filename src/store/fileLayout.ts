import { open, stat } from 'node:fs/promises';
import { checkMember } from './gzipMember.js';
import { readMemberIndex, type MemberRecord } from './memberIndex.js';
import { memberIndexPath } from './paths.js';

/** Where the good gzip members of one trace file are, and what else the file holds. */
export interface FileLayout {
  path: string;
  /** File size, mtime and inode when scanned: the cache key. */
  size: number;
  mtimeMs: number;
  ino: number;
  /** Members that check out, in file order (not necessarily contiguous after a garbled region). */
  members: MemberRecord[];
  /** How many leading `members` came from the sidecar index (and are still valid there). */
  indexed: number;
  /** End of the last good member; bytes after it are a torn tail. */
  completeBytes: number;
  /** True when bytes after the last good member do not form a member (a crash cut or garbled it). */
  truncated: boolean;
  /** Garbled regions skipped between good members. */
  corruptRegions: number;
}

const MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
const CACHE_LIMIT = 512;
const cache = new Map<string, FileLayout>();

/**
 * Finds the members of a gzipped trace file without decompressing what its sidecar index
 * already describes: reads the index (validated against the file size), checks the last
 * indexed member, and scans only the bytes after it (all of them for files written by
 * other tools). Results are cached by path, size, mtime and inode. Throws the fs error
 * (e.g. ENOENT) when the file cannot be opened.
 */
export async function scanTraceFile(path: string): Promise<FileLayout> {
  const st = await stat(path);
  const cached = cache.get(path);
  if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs && cached.ino === st.ino) return cached;
  const fh = await open(path, 'r');
  try {
    const records = await readMemberIndex(memberIndexPath(path), st.size);
    const last = records.at(-1);
    if (last) {
      const buf = Buffer.allocUnsafe(last.length);
      await fh.read(buf, 0, last.length, last.offset);
      if (!checkMember(buf, 0).ok) records.pop();
    }
    const layout: FileLayout = {
      path,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
      members: records,
      indexed: records.length,
      completeBytes: 0,
      truncated: false,
      corruptRegions: 0,
    };
    const lastGood = records.at(-1);
    const from = lastGood ? lastGood.offset + lastGood.length : 0;
    if (from < st.size) {
      const rest = Buffer.allocUnsafe(st.size - from);
      const { bytesRead } = await fh.read(rest, 0, rest.length, from);
      walkMembers(rest.subarray(0, bytesRead), from, layout);
    }
    const end = layout.members.at(-1);
    layout.completeBytes = end ? end.offset + end.length : 0;
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(path, layout);
    return layout;
  } finally {
    await fh.close();
  }
}

/** Drops cached layouts (of one file, or all): for callers that rewrite files in place. */
export function forgetTraceFile(path?: string): void {
  if (path === undefined) cache.clear();
  else cache.delete(path);
}

/** Walks members in `buf` (stored at file offset `base`), resynchronising past garbled regions. */
function walkMembers(buf: Buffer, base: number, layout: FileLayout): void {
  let pos = 0;
  while (pos < buf.length) {
    const check = checkMember(buf, pos);
    if (check.ok) {
      layout.members.push({ offset: base + pos, length: check.length, ndjsonLength: check.data.length, spans: countLines(check.data) });
      pos += check.length;
      continue;
    }
    const next = findNextMember(buf, pos + 1);
    if (next === -1) {
      layout.truncated = true;
      return;
    }
    layout.corruptRegions++;
    pos = next;
  }
}

/** The next offset at or after `from` where a member that checks out starts, or -1. */
function findNextMember(buf: Buffer, from: number): number {
  for (let i = 0, at = buf.indexOf(MAGIC, from); at !== -1 && i < 1000; i++, at = buf.indexOf(MAGIC, at + 1)) {
    if (checkMember(buf, at).ok) return at;
  }
  return -1;
}

/** Number of lines in `data` (a final line without newline counts). */
export function countLines(data: Buffer): number {
  let n = 0;
  for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) n++;
  if (data.length > 0 && data[data.length - 1] !== 10) n++;
  return n;
}
