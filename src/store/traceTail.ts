import { open, type FileHandle } from 'node:fs/promises';
import { InspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import type { Span } from '../core/span.js';
import { indexedLayoutHint, scanTraceFile, type FileLayout } from './fileLayout.js';
import { fileSpanBatches, newReadStats, type ReadStats } from './fileSpans.js';
import { inflateMembers } from './inflate.js';
import { parseSpanLine } from './spanLine.js';
import { findTraceParts, hasMetaOnly } from './traceParts.js';


/** Most spans readTail returns at once. */
export const MAX_TAIL = 1_000_000;

/**
 * The last `n` spans of a session (in file order), decompressing only the gzip members at
 * the end that hold them (plain JSONL files are streamed). `stats` describe what was
 * examined: `truncated` reflects the end of the trace. Throws INVALID_SESSION_ID,
 * INVALID_ARGUMENT (n not an integer 0..1,000,000), SESSION_NOT_FOUND.
 */
export async function readTail(tracesDir: string, sessionId: string, n: number): Promise<{ spans: Span[]; stats: ReadStats }> {
  const id = assertSessionId(sessionId);
  if (!Number.isInteger(n) || n < 0 || n > MAX_TAIL) throw new InspectorError('INVALID_ARGUMENT', `tail size must be an integer 0-${MAX_TAIL}, got ${n}`);
  const parts = await findTraceParts(tracesDir, id);
  const stats = newReadStats();
  if (parts.gz.length === 0) {
    if (!parts.plain) {
      if (await hasMetaOnly(tracesDir, id)) return { spans: [], stats };
      throw new InspectorError('SESSION_NOT_FOUND', `no trace for session ${id}`);
    }
    return { spans: await tailByStreaming(parts.plain, n, stats), stats };
  }
  const reversed: Span[] = [];
  for (let p = parts.gz.length - 1; p >= 0 && reversed.length < n; p--) {
    await tailOfFile(parts.gz[p]!, n, reversed, stats, p === parts.gz.length - 1);
  }
  reversed.reverse();
  stats.spans = reversed.length;
  return { spans: reversed, stats };
}

/** Adds spans of one gzip file to `reversed` (newest first) until it holds `n`. */
async function tailOfFile(path: string, n: number, reversed: Span[], stats: ReadStats, isLastFile: boolean): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    if (bytesRead < 2 || head[0] !== 0x1f || head[1] !== 0x8b) {
      const spans = await tailByStreaming(path, n - reversed.length, stats);
      for (let i = spans.length - 1; i >= 0; i--) reversed.push(spans[i]!);
      return;
    }
    // The index at its word first: every member used is inflated and checked anyway; on the
    // first that does not match, the file is scanned and this file's tail read again.
    const hint = await indexedLayoutHint(path);
    const mark = reversed.length;
    const saved = { ...stats };
    if (hint && (await tailOfLayout(fh, hint.layout, !hint.checked, n, reversed, stats, isLastFile))) return;
    reversed.length = mark;
    Object.assign(stats, saved);
    await tailOfLayout(fh, await scanTraceFile(path), false, n, reversed, stats, isLastFile);
  } finally {
    await fh.close();
  }
}

/**
 * Adds spans of the members of `layout` to `reversed`, newest first. With `unchecked`, gives
 * up (false) at the first member that does not inflate to what its record says.
 */
async function tailOfLayout(fh: FileHandle, layout: FileLayout, unchecked: boolean, n: number, reversed: Span[], stats: ReadStats, isLastFile: boolean): Promise<boolean> {
  if (isLastFile) stats.truncated ||= layout.truncated;
  stats.corruptLines += layout.corruptRegions + layout.indexMismatches;
  let head2 = ''; // the leading fragment of the member after the current one (lines may span members)
  for (let i = layout.members.length - 1; i >= 0 && reversed.length < n; i--) {
    const m = layout.members[i]!;
    const raw = Buffer.allocUnsafe(m.length);
    const { bytesRead } = await fh.read(raw, 0, m.length, m.offset);
    let text: string;
    try {
      if (bytesRead !== m.length) throw new Error('short read');
      const data = await inflateMembers(raw, m.ndjsonLength);
      if (data.length !== m.ndjsonLength) throw new Error('member damaged');
      text = data.toString('utf8') + head2;
    } catch {
      if (unchecked) return false;
      if (isLastFile && i === layout.members.length - 1) stats.truncated = true;
      else stats.corruptLines++;
      // What the next member started with has no start to join now: a line of its own.
      takeLine(head2, n, reversed, stats);
      head2 = '';
      continue;
    }
    const lines = text.split('\n');
    const prev = layout.members[i - 1];
    head2 = prev && prev.offset + prev.length === m.offset ? lines.shift()! : '';
    for (let k = lines.length - 1; k >= 0 && reversed.length < n; k--) takeLine(lines[k]!, n, reversed, stats);
  }
  takeLine(head2, n, reversed, stats);
  return true;
}

/** Adds the span of `line` to `reversed` unless it is blank or `n` are there; counts a bad line. */
function takeLine(line: string, n: number, reversed: Span[], stats: ReadStats): void {
  if (line === '' || line === '\r' || reversed.length >= n) return;
  const span = parseSpanLine(line);
  if (span) reversed.push(span);
  else stats.corruptLines++;
}

/** The last `n` spans of a file read from the start (for files without gzip members). */
async function tailByStreaming(path: string, n: number, stats: ReadStats): Promise<Span[]> {
  let ring: Span[] = [];
  const inner = newReadStats();
  for await (const batch of fileSpanBatches(path, inner)) {
    for (const span of batch) ring.push(span);
    if (ring.length > 2 * n + 4096) ring = ring.slice(ring.length - n);
  }
  stats.corruptLines += inner.corruptLines;
  stats.truncated ||= inner.truncated;
  return n === 0 ? [] : ring.slice(-n);
}
