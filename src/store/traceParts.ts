import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { metaFilePath, plainTraceFilePath, traceFilePath } from './paths.js';

/** Most parts one session may have (100 MiB each by default, so far beyond any real trace). */
const MAX_PARTS = 100_000;

/** The files holding a session's trace: gzip parts in order, else a plain `.jsonl` file. */
export interface TraceParts {
  gz: string[];
  plain?: string;
}

/**
 * Finds the existing files of a session's trace: `<id>.jsonl.gz`, `<id>.1.jsonl.gz`, ... in
 * order, or `<id>.jsonl` when there is no gzip part. Empty when the session has no trace.
 * Throws INVALID_SESSION_ID for bad ids.
 */
export async function findTraceParts(tracesDir: string, sessionId: string): Promise<TraceParts> {
  const gz: string[] = [];
  for (let part = 0; part < MAX_PARTS; part++) {
    const path = traceFilePath(tracesDir, sessionId, part);
    if (!(await isFile(path))) break;
    gz.push(path);
  }
  if (gz.length > 0) return { gz };
  const plain = plainTraceFilePath(tracesDir, sessionId);
  return (await isFile(plain)) ? { gz, plain } : { gz };
}

/**
 * True when the session exists without a trace file yet: its writer writes the meta record
 * first, so between that and the first part a session is listed but has no spans.
 */
export async function hasMetaOnly(tracesDir: string, sessionId: string): Promise<boolean> {
  return isFile(metaFilePath(tracesDir, sessionId));
}

/**
 * Identity of a session's trace files, to tell a changed trace from one read before: size,
 * mtime and inode of every gzip part, or of the plain `.jsonl`; "missing" when none exists.
 * Throws INVALID_SESSION_ID for bad ids.
 */
export async function traceFilesVersion(tracesDir: string, sessionId: string): Promise<string> {
  const parts: string[] = [];
  for (let part = 0; part < MAX_PARTS; part++) {
    const s = await fileStat(traceFilePath(tracesDir, sessionId, part));
    if (!s) break;
    parts.push(`${s.size}:${s.mtimeMs}:${s.ino}`);
  }
  if (parts.length === 0) {
    const s = await fileStat(plainTraceFilePath(tracesDir, sessionId));
    if (s) parts.push(`plain:${s.size}:${s.mtimeMs}:${s.ino}`);
  }
  return parts.length === 0 ? 'missing' : parts.join('/');
}

async function fileStat(path: string): Promise<Stats | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s : undefined;
  } catch {
    return undefined;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
