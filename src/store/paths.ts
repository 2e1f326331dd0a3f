import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';

/** Mode of the traces directory: traces hold request/response bodies, so only the owner may read them. */
export const TRACES_DIR_MODE = 0o700;

/** Ending of a gzipped trace file's name (`<id>.jsonl.gz`; later parts `<id>.<part>.jsonl.gz`). */
export const TRACE_FILE_SUFFIX = '.jsonl.gz';

/**
 * Path of part `part` of a session's trace: part 0 is `<id>.jsonl.gz`, later parts (after
 * size rotation) are `<id>.<part>.jsonl.gz`. Throws INVALID_SESSION_ID / INVALID_ARGUMENT.
 */
export function traceFilePath(tracesDir: string, sessionId: string, part = 0): string {
  const id = assertSessionId(sessionId);
  if (!Number.isInteger(part) || part < 0) throw new InspectorError('INVALID_ARGUMENT', `invalid trace part ${part}`);
  return join(tracesDir, part === 0 ? `${id}${TRACE_FILE_SUFFIX}` : `${id}.${part}${TRACE_FILE_SUFFIX}`);
}

/** Path of a plain (uncompressed) `<id>.jsonl` trace, as other tools may write. */
export function plainTraceFilePath(tracesDir: string, sessionId: string): string {
  return join(tracesDir, `${assertSessionId(sessionId)}.jsonl`);
}

/** Path of the session's metadata record `<id>.meta.json` (replaced atomically by writers). */
export function metaFilePath(tracesDir: string, sessionId: string): string {
  return join(tracesDir, `${assertSessionId(sessionId)}.meta.json`);
}

/**
 * Path of the session's open-request sidecar `<id>.inflight.json`: the spans a live writer's
 * process would owe the trace if it died now (replaced atomically; removed on a normal close).
 */
export function inflightFilePath(tracesDir: string, sessionId: string): string {
  return join(tracesDir, `${assertSessionId(sessionId)}.inflight.json`);
}

/** Path of the sidecar member index of one trace file: `<trace file>.idx`. */
export function memberIndexPath(traceFile: string): string {
  return `${traceFile}.idx`;
}

/** Creates the traces directory (and parents) with mode 0700 when missing. Idempotent. */
export async function ensureTracesDir(tracesDir: string): Promise<void> {
  try {
    await mkdir(tracesDir, { recursive: true, mode: TRACES_DIR_MODE });
  } catch (err) {
    throw new InspectorError('IO_ERROR', `cannot create traces directory ${tracesDir}: ${(err as Error).message}`, { cause: err });
  }
}

/** What a file name in the traces directory is, or undefined for files the store does not own. */
export type TraceDirEntry =
  | { kind: 'trace'; sessionId: string; part: number }
  | { kind: 'plain'; sessionId: string }
  | { kind: 'meta'; sessionId: string }
  | { kind: 'index'; sessionId: string; part: number }
  | { kind: 'lock'; sessionId: string };

const ENTRY = /^([A-Za-z0-9_-]{6,128})(?:\.(\d{1,6}))?\.(jsonl\.gz|jsonl\.gz\.idx|jsonl|meta\.json|lock)$/;

/** Classifies a file name of the traces directory (the inverse of the path builders above). */
export function parseTraceDirEntry(name: string): TraceDirEntry | undefined {
  const m = ENTRY.exec(name);
  if (!m) return undefined;
  const sessionId = m[1]!;
  const part = m[2] === undefined ? 0 : Number(m[2]);
  if (m[2] !== undefined && (part === 0 || m[2].startsWith('0'))) return undefined;
  switch (m[3]) {
    case 'jsonl.gz':
      return { kind: 'trace', sessionId, part };
    case 'jsonl.gz.idx':
      return { kind: 'index', sessionId, part };
    case 'jsonl':
      return part === 0 ? { kind: 'plain', sessionId } : undefined;
    case 'lock':
      return part === 0 ? { kind: 'lock', sessionId } : undefined;
    default:
      return part === 0 ? { kind: 'meta', sessionId } : undefined;
  }
}
