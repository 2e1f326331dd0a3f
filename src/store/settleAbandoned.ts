import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { assertSessionId } from '../core/ids.js';
import { isErrorKind, spanOutcome } from '../core/outcome.js';
import type { Span } from '../core/span.js';
import { formatMicros, parseMicros } from '../core/time.js';
import { InflightFileSchema } from './inflightSidecar.js';
import { readMetaFile } from './metaFile.js';
import { inflightFilePath, metaFilePath } from './paths.js';
import { isProcessAlive } from './processAlive.js';
import { isLive } from './rebuildMeta.js';
import { createTracePart, reopenTracePart } from './tracePartFile.js';
import { findTraceParts } from './traceParts.js';
import { readSpans } from './traceReader.js';

/** Longest wait for another process's (or call's) claim on the same sidecar to be settled. */
const CLAIM_WAIT_MS = 5000;
const CLAIM_POLL_MS = 20;

/** What settling added to the trace. */
export interface SettleResult {
  spans: number;
  errors: number;
}

const NOTHING: SettleResult = { spans: 0, errors: 0 };

/**
 * Adds the spans of requests a dead writer left in flight (its `<id>.inflight.json`) to the
 * trace, as one ordinary gzip member after its last good one, with the end time set to the
 * best known time of death (the later of the sidecar's `last_alive_at` and the last trace
 * part's mtime); then deletes the sidecar. Call it before counting or reading the trace of a
 * session found dead, so that every view counts the same spans.
 *
 * Does nothing while the session's meta says its writer is live, or when it has no meta. Safe when several callers
 * (processes or calls) find the same dead session at once: the sidecar is claimed by an atomic
 * rename, so exactly one appends; the others wait (bounded) until that claim is gone, so they
 * return after the trace is complete. Idempotent: spans already in the trace (same span id)
 * are not added again, and a claim left by a settler that died is taken over. Never throws:
 * unreadable sidecars are dropped, I/O failures are reported to `onError` and the claim is kept
 * for the next caller.
 */
export async function settleAbandonedRequests(tracesDir: string, sessionId: string, onError: (err: unknown) => void = () => undefined): Promise<SettleResult> {
  const id = assertSessionId(sessionId);
  const path = inflightFilePath(tracesDir, id);
  const meta = await readMetaFile(metaFilePath(tracesDir, id));
  // Writers write the meta before any sidecar: without one (a new session) there is nothing to do.
  if (!meta || isLive(meta)) return NOTHING;
  const mine = () => `${path}.${process.pid}-${randomBytes(4).toString('hex')}.claim`;
  const first = mine();
  const claims: string[] = (await claim(path, first)) ? [first] : [];
  // Claims of settlers that died before finishing are taken over; live ones are waited for.
  let others = await otherClaims(path);
  for (const c of others.filter((x) => !isProcessAlive(x.pid))) {
    const to = mine();
    if (await claim(c.path, to)) claims.push(to);
  }
  let result = NOTHING;
  if (claims.length > 0) {
    try {
      result = await appendClaimed(tracesDir, id, claims, onError);
    } catch (err) {
      onError(err);
      // Handed back, so the next caller tries again (a claim of a live pid would only be waited for).
      await rename(claims[0]!, path).catch(() => undefined);
      return NOTHING;
    }
  }
  const deadline = Date.now() + CLAIM_WAIT_MS;
  others = (await otherClaims(path)).filter((x) => isProcessAlive(x.pid));
  while (others.length > 0 && Date.now() < deadline) {
    await sleep(CLAIM_POLL_MS);
    others = (await otherClaims(path)).filter((x) => isProcessAlive(x.pid));
  }
  return result;
}

async function claim(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch {
    return false;
  }
}

/** Claims of this sidecar present now, with the pid that made each. */
async function otherClaims(path: string): Promise<Array<{ path: string; pid: number }>> {
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  const out: Array<{ path: string; pid: number }> = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.claim')) continue;
    const m = /^(\d+)-[0-9a-f]+\.claim$/.exec(name.slice(prefix.length));
    if (m) out.push({ path: join(dirname(path), name), pid: Number(m[1]) });
  }
  return out;
}

async function appendClaimed(tracesDir: string, id: string, claims: string[], onError: (err: unknown) => void): Promise<SettleResult> {
  const owed = new Map<string, Span>();
  let aliveAt = Number.NEGATIVE_INFINITY;
  for (const c of claims) {
    try {
      const parsed = InflightFileSchema.safeParse(JSON.parse(await readFile(c, 'utf8')));
      if (!parsed.success || parsed.data.session_id !== id) throw new Error(`${c}: not a valid open-request sidecar`);
      aliveAt = Math.max(aliveAt, parseMicros(parsed.data.last_alive_at));
      for (const span of parsed.data.spans) owed.set(span.span_id, span);
    } catch (err) {
      onError(err);
    }
  }
  const parts = await findTraceParts(tracesDir, id);
  if (owed.size > 0 && parts.plain === undefined) {
    const last = parts.gz.at(-1);
    if (last !== undefined) {
      aliveAt = Math.max(aliveAt, ((await stat(last).catch(() => undefined))?.mtimeMs ?? 0) * 1000);
      // Spans the writer appended after its last sidecar write are already in the trace.
      try {
        for await (const span of readSpans(tracesDir, id)) owed.delete(span.span_id);
      } catch {
        // unreadable past a point: what was read still counts
      }
    }
  }
  const result = { spans: 0, errors: 0 };
  if (owed.size > 0 && parts.plain === undefined) {
    const lines: string[] = [];
    for (const span of owed.values()) {
      const start = parseMicros(span.start_time);
      span.end_time = Number.isFinite(aliveAt) && aliveAt > start ? formatMicros(aliveAt) : span.start_time;
      lines.push(JSON.stringify(span));
      result.spans++;
      if (isErrorKind(spanOutcome(span).kind)) result.errors++;
    }
    const ndjson = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    const member = { member: gzipSync(ndjson), ndjsonLength: ndjson.length, spans: result.spans, errors: result.errors };
    const file = await reopenTracePart(tracesDir, id, parts.gz.length - 1);
    if (file === undefined) {
      // No part with a good member (a session that died before its first flush): this member starts one.
      await (await createTracePart(tracesDir, id, Math.max(0, parts.gz.length - 1), [member])).close(true);
    } else {
      try {
        await file.append([member], true);
      } finally {
        await file.close(true);
      }
    }
  }
  for (const c of claims) await unlink(c).catch(() => undefined);
  return result;
}
