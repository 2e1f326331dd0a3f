import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { InspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import { scanTraceFile, type FileLayout } from './fileLayout.js';
import { inflateMembers } from './inflate.js';
import { verifyFileLayout } from './verifyLayout.js';
import { findTraceParts, hasMetaOnly } from './traceParts.js';

/** The name of a stored trace file ends so; its download is named `<id>` + this. */
export { TRACE_FILE_SUFFIX } from './paths.js';

/** One good gzip member of a session's trace, located in its file and in the decompressed NDJSON. */
export interface TraceMember {
  /** Index into `TraceLayout.files`. */
  file: number;
  offset: number;
  length: number;
  ndjsonOffset: number;
  ndjsonLength: number;
}

/**
 * Where a session's trace bytes are (all rotated parts), for byte-range serving. `ndjsonBytes`
 * is the size of the decompressed NDJSON of all good members; `gzipBytes` the size of their
 * stored bytes concatenated (a valid multi-member gzip file). `etag` is strong and changes
 * whenever the trace grows or is rewritten.
 */
export interface TraceLayout {
  sessionId: string;
  files: { path: string; completeBytes: number }[];
  members: TraceMember[];
  ndjsonBytes: number;
  gzipBytes: number;
  etag: string;
  truncated: boolean;
  /** Damaged regions left out, plus places where a sidecar index disagreed with its file. */
  damaged: number;
}

/**
 * Builds the layout of a session's gzip trace from the sidecar indexes, each record checked
 * against its file (see scanTraceFile). With `verify`, every member is also inflated once
 * (see verifyFileLayout), so a response built on the layout can send every byte it promises.
 * A session with a meta record but no part yet has an empty layout. Throws INVALID_SESSION_ID,
 * SESSION_NOT_FOUND (neither a `.jsonl.gz` part nor a meta).
 */
export async function loadTraceLayout(tracesDir: string, sessionId: string, options: { verify?: boolean } = {}): Promise<TraceLayout> {
  const id = assertSessionId(sessionId);
  const parts = await findTraceParts(tracesDir, id);
  if (parts.gz.length === 0 && !(await hasMetaOnly(tracesDir, id))) throw new InspectorError('SESSION_NOT_FOUND', `no trace for session ${id}`);
  const layout: TraceLayout = { sessionId: id, files: [], members: [], ndjsonBytes: 0, gzipBytes: 0, etag: '', truncated: false, damaged: 0 };
  const hash = createHash('sha256');
  const fileLayouts: FileLayout[] = [];
  for (const path of parts.gz) {
    let file = await scanTraceFile(path);
    if (options.verify) file = await verifyFileLayout(file);
    fileLayouts.push(file);
    const fileIndex = layout.files.length;
    layout.files.push({ path, completeBytes: file.completeBytes });
    for (const m of file.members) {
      layout.members.push({ file: fileIndex, offset: m.offset, length: m.length, ndjsonOffset: layout.ndjsonBytes, ndjsonLength: m.ndjsonLength });
      layout.ndjsonBytes += m.ndjsonLength;
      layout.gzipBytes += m.length;
    }
    layout.truncated ||= file.truncated;
    layout.damaged += file.corruptRegions + file.indexMismatches;
    hash.update(`${path}\0${file.ino}\0${file.size}\0${file.mtimeMs}\0${file.members.length}\n`);
  }
  layout.etag = `"${hash.digest('base64url').slice(0, 27)}-${layout.gzipBytes.toString(36)}"`;
  sources.set(layout, fileLayouts);
  return layout;
}

/** The file layouts a trace layout was built from, in file order. */
const sources = new WeakMap<TraceLayout, FileLayout[]>();

/**
 * Inflates (once per process) the members that bytes `start`..`endInclusive` of the NDJSON
 * or of the stored gzip bytes come from, so a response can promise exactly those bytes.
 * Resolves true when they are all whole; false when some were not: they are now left out of
 * the cached file layouts, so the caller loads the layout again (smaller, with a new etag).
 */
export async function verifyTraceRange(layout: TraceLayout, kind: 'ndjson' | 'gzip', start: number, endInclusive: number): Promise<boolean> {
  const files = sources.get(layout);
  if (!files || layout.members.length === 0) return true;
  const gzipEnds: number[] = [];
  if (kind === 'gzip') for (let acc = 0, i = 0; i < layout.members.length; i++) gzipEnds.push((acc += layout.members[i]!.length));
  const endOf = (k: number) => (kind === 'gzip' ? gzipEnds[k]! : layout.members[k]!.ndjsonOffset + layout.members[k]!.ndjsonLength);
  const first = firstMember(layout.members.length, start, endOf);
  const last = firstMember(layout.members.length, endInclusive, endOf);
  let whole = true;
  let fileStart = 0;
  for (let f = 0; f < files.length; f++) {
    const count = files[f]!.members.length;
    const from = Math.max(first, fileStart);
    const to = Math.min(last + 1, fileStart + count);
    if (from < to && (await verifyFileLayout(files[f]!, from - fileStart, to - fileStart)) !== files[f]) whole = false;
    fileStart += count;
  }
  return whole;
}

function checkRange(total: number, start: number, end: number, what: string): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end >= total) {
    throw new InspectorError('INVALID_ARGUMENT', `${what} range ${start}-${end} is outside 0-${total - 1}`);
  }
}

/** First of `count` members whose (exclusive) end `endOf(i)` lies after `pos`, by binary search. */
function firstMember(count: number, pos: number, endOf: (i: number) => number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (endOf(mid) <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Opens each file of the layout at most once while a stream reads; closes them at the end. */
function fileOpener(layout: TraceLayout): { get(file: number): Promise<FileHandle>; closeAll(): Promise<void> } {
  const handles = new Map<number, Promise<FileHandle>>();
  return {
    get(file) {
      let h = handles.get(file);
      if (!h) handles.set(file, (h = open(layout.files[file]!.path, 'r')));
      return h;
    },
    async closeAll() {
      for (const h of handles.values()) await (await h.catch(() => undefined))?.close();
    },
  };
}

async function readMember(fh: FileHandle, m: TraceMember, from = 0, to = m.length): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(to - from);
  const { bytesRead } = await fh.read(buf, 0, buf.length, m.offset + from);
  if (bytesRead !== buf.length) throw new InspectorError('IO_ERROR', `trace file ${m.file} shrank while reading`);
  return buf;
}

/**
 * Streams bytes `start`..`endInclusive` of the decompressed NDJSON, decompressing only the
 * members that overlap the range. Throws INVALID_ARGUMENT for a range outside the trace.
 */
export function openNdjsonRange(layout: TraceLayout, start: number, endInclusive: number): Readable {
  checkRange(layout.ndjsonBytes, start, endInclusive, 'NDJSON');
  const files = fileOpener(layout);
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (let i = firstMember(layout.members.length, start, (k) => layout.members[k]!.ndjsonOffset + layout.members[k]!.ndjsonLength); i < layout.members.length; i++) {
        const m = layout.members[i]!;
        if (m.ndjsonOffset > endInclusive) break;
        const data = await inflateMembers(await readMember(await files.get(m.file), m), m.ndjsonLength);
        yield data.subarray(Math.max(0, start - m.ndjsonOffset), Math.min(data.length, endInclusive + 1 - m.ndjsonOffset));
      }
    } finally {
      await files.closeAll();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/**
 * Streams bytes `start`..`endInclusive` of the stored gzip bytes of all complete members
 * across files (concatenated members are a valid gzip file), with no decompression.
 * Throws INVALID_ARGUMENT for a range outside the trace.
 */
export function openGzipRange(layout: TraceLayout, start: number, endInclusive: number): Readable {
  checkRange(layout.gzipBytes, start, endInclusive, 'gzip');
  const virtualOffsets: number[] = [];
  let acc = 0;
  for (const m of layout.members) {
    virtualOffsets.push(acc);
    acc += m.length;
  }
  const files = fileOpener(layout);
  const CHUNK = 1 << 20;
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      let i = firstMember(layout.members.length, start, (k) => virtualOffsets[k]! + layout.members[k]!.length);
      for (; i < layout.members.length && virtualOffsets[i]! <= endInclusive; i++) {
        const m = layout.members[i]!;
        const from = Math.max(0, start - virtualOffsets[i]!);
        const to = Math.min(m.length, endInclusive + 1 - virtualOffsets[i]!);
        const fh = await files.get(m.file);
        for (let pos = from; pos < to; pos += CHUNK) yield await readMember(fh, m, pos, Math.min(to, pos + CHUNK));
      }
    } finally {
      await files.closeAll();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
