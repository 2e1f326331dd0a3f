import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { InspectorError } from '../core/errors.js';
import { EngineSchema, SessionIdSchema } from '../core/session.js';

/** `<traces_dir>/live/<id>.json`: how another process finds a live session's control endpoint. */
export const LiveRegistrationSchema = z.object({
  session_id: SessionIdSchema,
  pid: z.number().int().positive(),
  socket: z.string().min(1),
  title: z.string(),
  engine: EngineSchema,
  started_at: z.string(),
});
export type LiveRegistration = z.infer<typeof LiveRegistrationSchema>;

/** Longest Unix socket path used (sun_path is 108 bytes on Linux, 104 on macOS, including the NUL). */
export const SOCKET_PATH_MAX_BYTES = 103;

/** `<tracesDir>/live`. */
export function liveDirPath(tracesDir: string): string {
  return join(tracesDir, 'live');
}

/** Creates `dir` (and parents) and makes it a private (0700) directory owned by us. Throws IO_ERROR. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await lstat(dir);
    if (!st.isDirectory()) throw new Error('not a directory');
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw new Error('owned by another user');
    if ((st.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
  } catch (err) {
    throw new InspectorError('IO_ERROR', `cannot prepare private directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The control socket path of a session: `<tracesDir>/live/<id>.sock` when it fits the sun_path
 * limit, else `<tmpdir>/mcpscope-<uid>/<hash>.sock` (falling back to /tmp), in a 0700 directory.
 */
export async function chooseSocketPath(tracesDir: string, sessionId: string, tmpDir: string = tmpdir()): Promise<string> {
  const preferred = join(liveDirPath(tracesDir), `${sessionId}.sock`);
  if (Buffer.byteLength(preferred) <= SOCKET_PATH_MAX_BYTES) return preferred;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const name = `${createHash('sha256').update(`${tracesDir}\0${sessionId}`).digest('hex').slice(0, 16)}.sock`;
  for (const base of [tmpDir, '/tmp']) {
    const dir = join(base, `mcpscope-${uid}`);
    const path = join(dir, name);
    if (Buffer.byteLength(path) > SOCKET_PATH_MAX_BYTES) continue;
    await ensurePrivateDir(dir);
    return path;
  }
  throw new InspectorError('IO_ERROR', `no socket path under ${SOCKET_PATH_MAX_BYTES} bytes for session ${sessionId}`);
}

/** Writes the registration atomically (temp file, then rename), mode 0600. */
export async function writeRegistration(tracesDir: string, reg: LiveRegistration): Promise<string> {
  const path = join(liveDirPath(tracesDir), `${reg.session_id}.json`);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(reg)}\n`, { mode: 0o600 });
  await rename(tmp, path);
  return path;
}

/** Reads and validates a registration file; undefined when it is missing, partial or malformed. */
export async function readRegistration(path: string): Promise<LiveRegistration | undefined> {
  try {
    const parsed = LiveRegistrationSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Removes a session's registration file and its socket. Idempotent; never throws. */
export async function removeRegistration(tracesDir: string, sessionId: string, socketPath?: string): Promise<void> {
  const paths = [join(liveDirPath(tracesDir), `${sessionId}.json`), ...(socketPath ? [socketPath] : [])];
  await Promise.all(paths.map((p) => unlink(p).catch(() => undefined)));
}
