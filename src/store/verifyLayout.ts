import { open, type FileHandle } from 'node:fs/promises';
import { updateCachedLayout, type FileLayout } from './fileLayout.js';
import { inflateMembers } from './inflate.js';
import type { MemberRecord } from './memberIndex.js';


/** Compressed bytes inflated at once while verifying. */
const BATCH_BYTES = 1 << 20;

/**
 * Makes sure members `from`..`to - 1` of `layout` (default: all) inflate whole (CRC and
 * length): scanTraceFile checks an index record's framing only, so a member garbled inside
 * would otherwise be found by whoever inflates it, too late for a response that already
 * promised its bytes. Members verified before are skipped (see FileLayout.verified), so each
 * is inflated once per process; inflation runs on the threadpool, a batch at a time. Resolves
 * to `layout` when all are whole, else to the layout without the bad members (each counted as
 * a damaged region), which also replaces the cached one.
 */
export async function verifyFileLayout(layout: FileLayout, from = 0, to = layout.members.length): Promise<FileLayout> {
  const pending: number[] = [];
  for (let i = from; i < to; i++) if (!layout.verified.has(layout.members[i]!.offset)) pending.push(i);
  if (pending.length === 0) return layout;
  const bad = new Set<MemberRecord>();
  const fh = await open(layout.path, 'r');
  try {
    for (let k = 0; k < pending.length; ) {
      const batch = [layout.members[pending[k]!]!];
      let bytes = batch[0]!.length;
      for (k++; k < pending.length; k++) {
        const m = layout.members[pending[k]!]!;
        const prev = batch.at(-1)!;
        if (prev.offset + prev.length !== m.offset || bytes + m.length > BATCH_BYTES) break;
        batch.push(m);
        bytes += m.length;
      }
      if (await inflatesWhole(fh, batch)) for (const m of batch) layout.verified.add(m.offset);
      else {
        for (const m of batch) {
          if (await inflatesWhole(fh, [m])) layout.verified.add(m.offset);
          else bad.add(m);
        }
      }
    }
  } finally {
    await fh.close();
  }
  if (bad.size === 0) return layout;
  const members = layout.members.filter((m) => !bad.has(m));
  const last = members.at(-1);
  const dropLast = bad.has(layout.members.at(-1)!);
  const next: FileLayout = {
    ...layout,
    members,
    completeBytes: last ? last.offset + last.length : 0,
    truncated: layout.truncated || dropLast,
    corruptRegions: layout.corruptRegions + bad.size - (dropLast ? 1 : 0),
  };
  updateCachedLayout(next);
  return next;
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
    return (await inflateMembers(raw, ndjson)).length === ndjson;
  } catch {
    return false;
  }
}
