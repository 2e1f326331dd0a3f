import { readFile, writeFile } from 'node:fs/promises';
import { INDEX_HEADER, MEMBER_RECORD_BYTES } from '../../src/store/memberIndex.js';
import { memberIndexPath, traceFilePath } from '../../src/store/paths.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { makeSpan } from './storeTestKit.js';

/** One member of a written trace, as its index says, with the span ids it holds. */
export interface WrittenMember {
  offset: number;
  length: number;
  ids: number[];
}

/** A trace written by the real writer, many small members, indexed. */
export interface WrittenTrace {
  path: string;
  members: WrittenMember[];
}

/** Writes `n` spans (ids 0..n-1) in members of a few spans each and reads back where they went. */
export async function writeIndexedTrace(dir: string, sessionId: string, n: number): Promise<WrittenTrace> {
  const w = createTraceWriter({ tracesDir: dir, sessionId, title: 'damage', engine: 'proxy', flushBytes: 3000 });
  for (let i = 0; i < n; i++) w.write(makeSpan(i));
  await w.close();
  const path = traceFilePath(dir, sessionId);
  const idx = await readFile(memberIndexPath(path));
  if (!idx.subarray(0, INDEX_HEADER.length).equals(INDEX_HEADER)) throw new Error('expected a current index');
  const members: WrittenMember[] = [];
  let next = 0;
  for (let p = INDEX_HEADER.length; p + MEMBER_RECORD_BYTES <= idx.length; p += MEMBER_RECORD_BYTES) {
    const spans = idx.readUInt32LE(p + 16);
    members.push({ offset: idx.readDoubleLE(p), length: idx.readUInt32LE(p + 8), ids: Array.from({ length: spans }, (_, k) => next + k) });
    next += spans;
  }
  if (next !== n || members.length < 10) throw new Error(`unexpected layout: ${members.length} members, ${next} spans`);
  return { path, members };
}

/** A way to damage a trace, and which member's spans it costs (undefined: none). */
export interface Damage {
  name: string;
  apply(trace: WrittenTrace): Promise<void>;
  lost?: number;
}

/** Deterministic garbage (never a gzip header). */
function garbage(length: number, seed: number): Buffer {
  const buf = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    buf[i] = (x >>> 16) & 0xff;
    if (buf[i] === 0x1f) buf[i] = 0x20;
  }
  return buf;
}

async function patchFile(path: string, at: number, bytes: Buffer): Promise<void> {
  const buf = await readFile(path);
  bytes.copy(buf, at);
  await writeFile(path, buf);
}

/** The damage cases of the store: each in the middle of the file, with the index in place. */
export function damages(middle: number): Damage[] {
  return [
    { name: 'a zeroed member header', lost: middle, apply: (t) => patchFile(t.path, t.members[middle]!.offset, Buffer.alloc(10)) },
    { name: 'a garbled member', lost: middle, apply: (t) => patchFile(t.path, t.members[middle]!.offset, garbage(t.members[middle]!.length, 7)) },
    {
      name: 'a member garbled inside (header and trailer intact)',
      lost: middle,
      apply: (t) => patchFile(t.path, t.members[middle]!.offset + 40, garbage(60, 11)),
    },
    {
      name: 'an .idx record 7 bytes off',
      apply: async (t) => {
        const idxPath = memberIndexPath(t.path);
        const idx = await readFile(idxPath);
        const at = INDEX_HEADER.length + middle * MEMBER_RECORD_BYTES;
        idx.writeDoubleLE(idx.readDoubleLE(at) + 7, at);
        await writeFile(idxPath, idx);
      },
    },
    {
      name: 'an .idx record with a wrong length',
      apply: async (t) => {
        const idxPath = memberIndexPath(t.path);
        const idx = await readFile(idxPath);
        const at = INDEX_HEADER.length + middle * MEMBER_RECORD_BYTES + 8;
        idx.writeUInt32LE(idx.readUInt32LE(at) + 7, at);
        await writeFile(idxPath, idx);
      },
    },
  ];
}

/** Ids of the spans that survive `damage` of `trace`. */
export function intactIds(trace: WrittenTrace, damage: Damage): number[] {
  return trace.members.flatMap((m, i) => (i === damage.lost ? [] : m.ids));
}

/** The NDJSON the writer wrote for these span ids. */
export function ndjsonOf(ids: number[]): string {
  return ids.map((i) => `${JSON.stringify(makeSpan(i))}\n`).join('');
}
