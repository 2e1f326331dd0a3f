import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, openSync, closeSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { InspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import { TRACES_DIR_MODE } from './paths.js';
import { isProcessAlive } from './processAlive.js';

/** The one writer's claim on a session's files; see acquireSessionLock. */
export interface SessionLock {
  readonly path: string;
  /** Gives the session up (removes the lock file if it is still ours). Idempotent; never throws. */
  release(): void;
}

/** What a lock file holds: who records the session, and since when. */
interface LockHolder {
  pid: number;
  started_at: string;
  host?: string;
  /** Start time of the process (Linux clock ticks since boot), to tell a reused pid apart. */
  proc_start?: number;
  nonce: string;
}

/** Path of a session's writer lock: `<tracesDir>/<id>.lock`. */
export function sessionLockPath(tracesDir: string, sessionId: string): string {
  return join(tracesDir, `${assertSessionId(sessionId)}.lock`);
}

/** Locks held by this process (a lock file naming our own pid that is not here is stale). */
const held = new Set<string>();
/** A stale-lock breaker older than this belongs to a process that died while breaking. */
const BREAKER_STALE_MS = 10_000;
const ROUNDS = 5;

/**
 * Takes the exclusive writer lock of a session, synchronously, before anything of the session
 * is opened: a lock file created atomically (written beside it, then hard-linked into place,
 * so it is never seen half-written) naming this process. A lock whose process is gone (or
 * whose pid now belongs to another process) is stale and taken over, one taker at a time.
 * Creates the traces directory (mode 0700) when missing. Throws CONFLICT naming the holder
 * when another live writer records (or is taking over) the session, IO_ERROR when the lock
 * cannot be made (e.g. the directory is not writable).
 */
export function acquireSessionLock(tracesDir: string, sessionId: string): SessionLock {
  const path = resolve(sessionLockPath(tracesDir, sessionId));
  try {
    mkdirSync(tracesDir, { recursive: true, mode: TRACES_DIR_MODE });
  } catch (err) {
    throw new InspectorError('IO_ERROR', `cannot create traces directory ${tracesDir}: ${(err as Error).message}`, { cause: err });
  }
  const me: LockHolder = { pid: process.pid, started_at: new Date().toISOString(), host: hostname(), nonce: randomBytes(8).toString('hex') };
  const procStart = processStart(process.pid);
  if (procStart !== undefined) me.proc_start = procStart;
  const text = `${JSON.stringify(me)}\n`;
  for (let round = 0; round < ROUNDS; round++) {
    if (held.has(path)) throw busy(sessionId, path, readHolder(path) ?? me);
    if (create(path, text)) {
      held.add(path);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          held.delete(path);
          try {
            if (readFileSync(path, 'utf8') === text) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    }
    const holderText = readText(path);
    if (holderText === undefined) continue; // removed meanwhile: try again
    const holder = parseHolder(holderText);
    if (holder && !isStale(holder, path)) throw busy(sessionId, path, holder);
    if (!holder && ageMs(path) < BREAKER_STALE_MS) throw busy(sessionId, path, undefined);
    breakStale(path, holderText);
  }
  // Another writer is taking over the same stale lock right now: it wins.
  throw busy(sessionId, path, readHolder(path));
}

/** Creates the lock file with `text` atomically; false when one exists. */
function create(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    try {
      linkSync(tmp, path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      // File systems without hard links: an exclusive create (a reader may briefly see it empty).
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeFileSync(fd, text);
      } finally {
        closeSync(fd);
      }
      return true;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new InspectorError('IO_ERROR', `cannot create the writer lock ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // not made, or already gone
    }
  }
}

/**
 * Removes a stale lock whose content is still `staleText`. Takers serialise on a breaker file,
 * so one of them cannot remove a lock another has just taken in place of the stale one.
 */
function breakStale(path: string, staleText: string): void {
  const breaker = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(breaker, 'wx', 0o600);
  } catch {
    if (ageMs(breaker) >= BREAKER_STALE_MS) {
      try {
        unlinkSync(breaker);
      } catch {
        // another taker removed it
      }
    }
    return;
  }
  try {
    if (readText(path) === staleText) unlinkSync(path);
  } catch {
    // gone already
  } finally {
    closeSync(fd);
    try {
      unlinkSync(breaker);
    } catch {
      // removed as stale by another taker
    }
  }
}

/**
 * Whether a writer holds the session's lock now: a lock file naming a live process (one on
 * another host counts as live). For readers that must not touch a session being recorded.
 */
export function isSessionLocked(tracesDir: string, sessionId: string): boolean {
  const path = sessionLockPath(tracesDir, sessionId);
  const holder = readHolder(path);
  return holder !== undefined && !isStale(holder, path);
}

function isStale(holder: LockHolder, path: string): boolean {
  if (holder.host !== undefined && holder.host !== hostname()) return false; // cannot tell: assume alive
  if (holder.pid === process.pid) return !held.has(path);
  if (!isProcessAlive(holder.pid)) return true;
  if (holder.proc_start === undefined) return false;
  const now = processStart(holder.pid);
  return now !== undefined && now !== holder.proc_start;
}

function busy(sessionId: string, path: string, holder: LockHolder | undefined): InspectorError {
  const who = holder ? `pid ${holder.pid}${holder.host && holder.host !== hostname() ? ` on ${holder.host}` : ''} (since ${holder.started_at})` : 'another process';
  return new InspectorError('CONFLICT', `session ${sessionId} is being recorded by ${who}; use another --session-id (or remove ${path} if no such writer runs)`, {
    details: { session_id: sessionId, lock: path, ...(holder ? { pid: holder.pid } : {}) },
  });
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readHolder(path: string): LockHolder | undefined {
  const text = readText(path);
  return text === undefined ? undefined : parseHolder(text);
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isSafeInteger(v.pid) || (v.pid as number) <= 0 || typeof v.started_at !== 'string') return undefined;
    return v as LockHolder;
  } catch {
    return undefined;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

/** Start time of a process in clock ticks since boot (Linux /proc), or undefined elsewhere. */
function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces and parentheses, so count after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isSafeInteger(start) ? start : undefined;
  } catch {
    return undefined;
  }
}
