import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { updateCachedLayout, type FileLayout } from './fileLayout.js';
import { inflateChunkSize } from './fileSpans.js';
import type { MemberRecord } from './memberIndex.js';

const gunzipAsync = promisify(gunzip) as (data: Buffer, options: { chunkSize: number }) => Promise<Buffer>;

/** Compressed bytes inflated at once while verifying. */
const BATCH_BYTES = 1 << 20;

/**
 * Makes sure every member of `layout` inflates whole (CRC and length): scanTraceFile checks an
 * index record's framing only, so a member garbled inside would otherwise be found by whoever
 * inflates it, too late for a response that already promised its bytes. Members already
 * verified are skipped (the count survives in the cache while the file only grows), so each
 * member is inflated once per process; inflation runs on the threadpool, a batch at a time.
 * Resolves to the layout without the members that fail (each counted as a damaged region).
 */
export async function verifyFileLayout(layout: FileLayout): Promise<FileLayout> {
  if (layout.verified >= layout.members.length) return layout;
  const fh = await open(layout.path, 'r');
  try {
    const good = layout.members.slice(0, layout.verified);
    let bad = 0;
    for (let i = layout.verified; i < layout.members.length; ) {
      const batch = [layout.members[i]!];
      let bytes = batch[0]!.length;
      for (i++; i < layout.members.length; i++) {
        const m = layout.members[i]!;
        const prev = batch.at(-1)!;
        if (prev.offset + prev.length !== m.offset || bytes + m.length > BATCH_BYTES) break;
        batch.push(m);
        bytes += m.length;
      }
      if (await inflatesWhole(fh, batch)) good.push(...batch);
      else {
        for (const m of batch) {
          if (await inflatesWhole(fh, [m])) good.push(m);
          else bad++;
        }
      }
    }
    const last = good.at(-1);
    const dropLast = layout.members.length > 0 && last !== layout.members.at(-1);
    const next: FileLayout = {
      ...layout,
      members: good,
      verified: good.length,
      completeBytes: last ? last.offset + last.length : 0,
      truncated: layout.truncated || dropLast,
      corruptRegions: layout.corruptRegions + bad - (dropLast ? 1 : 0),
    };
    updateCachedLayout(next);
    return next;
  } finally {
    await fh.close();
  }
}

/** True when the contiguous members of `batch` inflate to exactly the lengths they claim. */
async function inflatesWhole(fh: FileHandle, batch: readonly MemberRecord[]): Promise<boolean> {
  const first = batch[0]!;
  const last = batch.at(-1)!;
  const raw = Buffer.allocUnsafe(last.offset + last.length - first.offset);
  const ndjson = batch.reduce((n, m) => n + m.ndjsonLength, 0);
  try {
    const { bytesRead } = await fh.read(raw, 0, raw.length, first.offset);
    if (bytesRead !== raw.length) return false;
    return (await gunzipAsync(raw, { chunkSize: inflateChunkSize(ndjson) })).length === ndjson;
  } catch {
    return false;
  }
}
