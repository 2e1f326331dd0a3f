import { open, stat, type FileHandle } from 'node:fs/promises';
import { isErrorKind, spanOutcome } from '../core/outcome.js';
import { checkMember, looksLikeMemberStart, type MemberCheck } from './gzipMember.js';
import { readMemberIndex, type MemberRecord } from './memberIndex.js';
import { memberIndexPath } from './paths.js';
import { parseSpanLine } from './spanLine.js';

/** Where the good gzip members of one trace file are, and what else the file holds. */
export interface FileLayout {
  path: string;
  /** File size, mtime and inode when scanned: the cache key. */
  size: number;
  mtimeMs: number;
  ino: number;
  /** Members whose framing checks out, in file order (not contiguous after a damaged region). */
  members: MemberRecord[];
  /**
   * Offsets of members that have been inflated and found whole (see verifyFileLayout). Shared
   * by the layouts of later versions of the file while it only grows (offsets stay valid).
   */
  verified: Set<number>;
  /** End of the last good member; bytes after it are a torn tail. */
  completeBytes: number;
  /** True when bytes after the last good member do not form a member (a crash cut or garbled it). */
  truncated: boolean;
  /** Damaged regions skipped between good members. */
  corruptRegions: number;
  /** Places where the sidecar index disagreed with an intact file (the file won). */
  indexMismatches: number;
}

const MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
const WINDOW = 4 << 20;
const CACHE_LIMIT = 512;
const cache = new Map<string, FileLayout>();

/**
 * Finds the good members of a gzipped trace file. The sidecar index is a hint, never the
 * truth: each record is checked against the file (a gzip header at its offset, and its
 * trailer's length field where the record says the member ends), the last member of the file
 * is inflated, and wherever a record is missing or wrong the file itself is read from there
 * (each member inflated and CRC-checked), resynchronising after damage on the next gzip header
 * that inflates, and going back to the index where its records line up again. The file is read
 * sequentially in 4 MiB windows, never whole. Results are cached by path, size, mtime and inode;
 * when a file only grew, the bytes already checked are not checked again. Throws the fs error
 * (e.g. ENOENT) when the file cannot be opened.
 */
export async function scanTraceFile(path: string): Promise<FileLayout> {
  const st = await stat(path);
  const cached = cache.get(path);
  if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs && cached.ino === st.ino) return cached;
  const fh = await open(path, 'r');
  try {
    const records = await readMemberIndex(memberIndexPath(path), st.size);
    // A file that only grew (the writer appends) keeps what was already checked.
    const grew = cached !== undefined && cached.ino === st.ino && st.size > cached.size;
    const layout: FileLayout = {
      path,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
      members: grew ? cached.members.slice() : [],
      verified: grew ? cached.verified : new Set(),
      completeBytes: 0,
      truncated: false,
      corruptRegions: grew ? cached.corruptRegions : 0,
      indexMismatches: grew ? cached.indexMismatches : 0,
    };
    await walkMembers(new FileWindow(fh, st.size), records, grew ? cached.completeBytes : 0, layout);
    const end = layout.members.at(-1);
    layout.completeBytes = end ? end.offset + end.length : 0;
    remember(layout);
    return layout;
  } finally {
    await fh.close();
  }
}

/**
 * A layout for readers that inflate every member they use and check its length: the cached
 * layout when it is current, else the sidecar index taken at its word where it is consistent
 * (records contiguous from offset 0) plus a scan of the bytes after its last record; `checked`
 * says which. Such a reader goes back to scanTraceFile as soon as an unchecked member does not
 * inflate to what its record says. Undefined when the index is missing or inconsistent. This
 * spares reading a whole file to check an index whose claims will be checked anyway.
 */
export async function indexedLayoutHint(path: string): Promise<{ layout: FileLayout; checked: boolean } | undefined> {
  const st = await stat(path);
  const cached = cache.get(path);
  if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs && cached.ino === st.ino) return { layout: cached, checked: true };
  const records = await readMemberIndex(memberIndexPath(path), st.size);
  if (records.length === 0 || records[0]!.offset !== 0) return undefined;
  for (let i = 1; i < records.length; i++) if (records[i]!.offset !== records[i - 1]!.offset + records[i - 1]!.length) return undefined;
  const fh = await open(path, 'r');
  try {
    const last = records.at(-1)!;
    const layout: FileLayout = { path, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, members: records, verified: new Set(), completeBytes: 0, truncated: false, corruptRegions: 0, indexMismatches: 0 };
    await walkMembers(new FileWindow(fh, st.size), [], last.offset + last.length, layout);
    const end = layout.members.at(-1)!;
    layout.completeBytes = end.offset + end.length;
    return { layout, checked: false };
  } finally {
    await fh.close();
  }
}

/** Drops cached layouts (of one file, or all): for callers that rewrite files in place. */
export function forgetTraceFile(path?: string): void {
  if (path === undefined) cache.clear();
  else cache.delete(path);
}

/**
 * Replaces the cached layout of a file by `layout` when the cache still describes the same
 * version of the file (used once members have been verified, or found bad, by inflating).
 */
export function updateCachedLayout(layout: FileLayout): void {
  const cached = cache.get(layout.path);
  if (!cached || (cached.size === layout.size && cached.mtimeMs === layout.mtimeMs && cached.ino === layout.ino)) remember(layout);
}

function remember(layout: FileLayout): void {
  cache.delete(layout.path);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(layout.path, layout);
}

/** Sequential reads of one file through a window, so checks touch each byte about once. */
class FileWindow {
  start = 0;
  buf = Buffer.alloc(0);

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  /** True when the window holds bytes `offset`..`offset + length - 1`. */
  covers(offset: number, length: number): boolean {
    return offset >= this.start && offset + length <= this.start + this.buf.length;
  }

  /** Bytes from `offset`: at least `min` (fewer only at the end of the file), up to a window. */
  async at(offset: number, min: number): Promise<Buffer> {
    if (this.covers(offset, min)) return this.buf.subarray(offset - this.start);
    const len = Math.max(0, Math.min(this.size - offset, Math.max(min, WINDOW)));
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = len === 0 ? { bytesRead: 0 } : await this.fh.read(buf, 0, len, offset);
    this.start = offset;
    this.buf = buf.subarray(0, bytesRead);
    return this.buf;
  }
}

/** Walks the file from `from`, appending good members to `layout` (see scanTraceFile). */
async function walkMembers(win: FileWindow, records: MemberRecord[], from: number, layout: FileLayout): Promise<void> {
  if (!records.every((r, i) => i === 0 || records[i - 1]!.offset <= r.offset)) records = [...records].sort((a, b) => a.offset - b.offset);
  const lastIndexed = records.at(-1)?.offset ?? -1;
  let ri = 0;
  let pos = from;
  while (pos < win.size) {
    while (ri < records.length && records[ri]!.offset < pos) ri++;
    const rec = ri < records.length && records[ri]!.offset === pos ? records[ri] : undefined;
    // Most records lie inside the window: checked without a round trip to the file (the last
    // member of the file never is, so recordHolds inflates it).
    if (rec && (win.covers(rec.offset, rec.length + 1) ? framingHolds(win.buf, rec.offset - win.start, rec) : await recordHolds(win, rec))) {
      layout.members.push(rec);
      pos += rec.length;
      continue;
    }
    const check = await checkAt(win, pos);
    if (check.ok) {
      // A member where the index says something else (or nothing, before its last record).
      if (rec || pos < lastIndexed) layout.indexMismatches++;
      layout.members.push({ offset: pos, length: check.length, ndjsonLength: check.data.length, spans: countLines(check.data), errors: countErrorLines(check.data) });
      pos += check.length;
      continue;
    }
    const next = await resync(win, pos + 1, records);
    if (next === -1) {
      layout.truncated = true;
      return;
    }
    layout.corruptRegions++;
    pos = next;
  }
}

/** The framing of `rec` in `buf` (where the record's offset is at `at`): header magic, trailer length. */
function framingHolds(buf: Buffer, at: number, rec: MemberRecord): boolean {
  return looksLikeMemberStart(buf, at) && buf.readUInt32LE(at + rec.length - 4) === rec.ndjsonLength % 2 ** 32;
}

/**
 * True when the file agrees with an index record: a gzip header at its offset and, where it
 * ends, a trailer whose length field matches the record. The file's last member is inflated
 * too (the usual place for a crash to leave a member cut short).
 */
async function recordHolds(win: FileWindow, rec: MemberRecord): Promise<boolean> {
  const end = rec.offset + rec.length;
  if (rec.length <= WINDOW) {
    const buf = await win.at(rec.offset, rec.length);
    if (buf.length < rec.length || !framingHolds(buf, 0, rec)) return false;
  } else {
    if (!looksLikeMemberStart(await win.at(rec.offset, 3), 0)) return false;
    const tail = await win.at(end - 4, 4);
    if (tail.length < 4 || tail.readUInt32LE(0) !== rec.ndjsonLength % 2 ** 32) return false;
  }
  if (end < win.size) return true;
  const check = await checkAt(win, rec.offset);
  return check.ok && check.length === rec.length && check.data.length === rec.ndjsonLength;
}

/** Checks the member at `pos` by inflating it, reading more of the file while it is cut short. */
async function checkAt(win: FileWindow, pos: number): Promise<MemberCheck> {
  for (let want = WINDOW; ; want *= 4) {
    const buf = await win.at(pos, Math.min(want, win.size - pos));
    const check = checkMember(buf, 0);
    if (check.ok || !check.truncated || pos + buf.length >= win.size) return check;
  }
}

/**
 * The first offset at or after `from` where a good member starts (an index record that holds,
 * or a gzip header whose member inflates), or -1. Each step moves forward, so it ends.
 */
async function resync(win: FileWindow, from: number, records: MemberRecord[]): Promise<number> {
  let q = from;
  let ri = 0;
  while (q < win.size) {
    const buf = await win.at(q, Math.min(WINDOW, win.size - q));
    const m = buf.indexOf(MAGIC);
    const magicAt = m === -1 ? Infinity : q + m;
    while (ri < records.length && records[ri]!.offset < q) ri++;
    const recAt = ri < records.length ? records[ri]!.offset : Infinity;
    const c = Math.min(magicAt, recAt);
    if (c >= q + buf.length) {
      if (q + buf.length >= win.size) return -1;
      q += Math.max(1, buf.length - (MAGIC.length - 1)); // a header may straddle two windows
      continue;
    }
    const rec = recAt === c ? records[ri] : undefined;
    if (rec && (await recordHolds(win, rec))) return c;
    if ((await checkAt(win, c)).ok) return c;
    q = c + 1;
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

const ERROR_MARK = Buffer.from('"ERROR"');

/**
 * Number of lines in `data` that are real errors by `spanOutcome` (benign ERROR spans do not
 * count, as in the writer's `error_count`; lines split across members are not seen whole).
 */
export function countErrorLines(data: Buffer): number {
  let n = 0;
  for (let mark = data.indexOf(ERROR_MARK); mark !== -1; ) {
    const start = mark === 0 ? 0 : data.lastIndexOf(10, mark) + 1;
    let end = data.indexOf(10, mark);
    if (end === -1) end = data.length;
    const span = parseSpanLine(data.toString('utf8', start, end));
    if (span && isErrorKind(spanOutcome(span).kind)) n++;
    mark = data.indexOf(ERROR_MARK, end);
  }
  return n;
}
