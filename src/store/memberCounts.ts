import { open } from 'node:fs/promises';
import { countErrorLines, scanTraceFile } from './fileLayout.js';
import { inflateMembers } from './inflate.js';
import type { MemberRecord } from './memberIndex.js';


/**
 * `members` of the trace file at `path` with every `errors` known: members whose index record
 * did not say (older indexes) are inflated and counted; the others cost nothing. A member
 * that no longer inflates counts 0 errors.
 */
export async function memberErrorCounts(path: string, members: readonly MemberRecord[]): Promise<Required<MemberRecord>[]> {
  if (members.every((m) => m.errors !== undefined)) return members as Required<MemberRecord>[];
  const fh = await open(path, 'r');
  try {
    const out: Required<MemberRecord>[] = [];
    for (const m of members) {
      if (m.errors !== undefined) {
        out.push(m as Required<MemberRecord>);
        continue;
      }
      const raw = Buffer.allocUnsafe(m.length);
      await fh.read(raw, 0, m.length, m.offset);
      const errors = await inflateMembers(raw, m.ndjsonLength).then(countErrorLines, () => 0);
      out.push({ ...m, errors });
    }
    return out;
  } finally {
    await fh.close();
  }
}

/**
 * Span and error counts of a session's gzip parts, from their verified layouts (the sidecar
 * index's per-member counts where it holds, members read where it does not): what a reader of
 * the files finds, without decompressing what the index describes.
 */
export async function countTraceParts(paths: readonly string[]): Promise<{ spans: number; errors: number }> {
  let spans = 0;
  let errors = 0;
  for (const path of paths) {
    const layout = await scanTraceFile(path);
    for (const m of await memberErrorCounts(path, layout.members)) {
      spans += m.spans;
      errors += m.errors;
    }
  }
  return { spans, errors };
}
