import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { SessionMetaSchema, type SessionMeta } from '../core/session.js';

/**
 * Replaces a meta file atomically (write a temp file beside it, then rename), so readers
 * see the old record or the new one, never a torn one. Mode 0600.
 */
export async function writeMetaFile(path: string, meta: SessionMeta): Promise<void> {
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(meta)}\n`, { mode: 0o600 });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Reads and validates a meta file; undefined when it is missing, unreadable or invalid. */
export async function readMetaFile(path: string): Promise<SessionMeta | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  return parseMeta(text);
}

/** Parses and validates the text of a meta file; undefined when it is not a valid record. */
export function parseMeta(text: string): SessionMeta | undefined {
  try {
    const parsed = SessionMetaSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
