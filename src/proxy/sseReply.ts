import { setTimeout as sleep } from 'node:timers/promises';
import { type Agent, request } from 'undici';
import { createSseParser } from './sseParser.js';

/** Bounds on resuming one reply stream. */
export interface ResumeLimits {
  /** Reconnections per reply. */
  maxAttempts: number;
  /** Time from the first early close until the reply is given up. */
  windowMs: number;
  /** Delay when the server sent no `retry`; grows 1.5x per attempt. */
  initialDelayMs: number;
  /** Cap on any delay, the server's `retry` included. */
  maxDelayMs: number;
}

/**
 * Resuming defaults: a server that polls (closes the stream, the client comes back after `retry`)
 * gets up to 60 reconnections within 10 minutes per reply, which covers long tool calls while
 * keeping a server that never answers from holding a request forever.
 */
export const DEFAULT_RESUME: ResumeLimits = { maxAttempts: 60, windowMs: 10 * 60_000, initialDelayMs: 1000, maxDelayMs: 30_000 };

/** What one SSE body brought. */
export interface SseRead {
  lastEventId: string | undefined;
  retryMs: number | undefined;
  /** True when at least one JSON-RPC response arrived (the SDK client resumes only until then too). */
  answered: boolean;
}

export type Body = Awaited<ReturnType<typeof request>>['body'];

/**
 * Reads an SSE body to its end, or (`untilAnswered`) until a response arrived (a resumed GET
 * stream may stay open), handing each message event's data to `deliver`.
 */
export async function readSse(body: Body, deliver: (data: string) => void, untilAnswered = false): Promise<SseRead> {
  let answered = false;
  const parser = createSseParser((event) => {
    if ((event.event === undefined || event.event === 'message') && event.data.trim() !== '') {
      if (!answered && isResponse(event.data)) answered = true;
      deliver(event.data);
    }
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true }));
    if (untilAnswered && answered) break;
  }
  return { lastEventId: parser.lastEventId, retryMs: parser.retryMs, answered };
}

/** What resuming a reply needs from its upstream. */
export interface ResumeTarget {
  url: string;
  agent: Agent;
  limits: ResumeLimits;
  /** Request headers for a GET of the event stream (session id, protocol version, the user's). */
  headers(): Record<string, string>;
  deliver(data: string): void;
}

/**
 * SSE polling (MCP 2025-11-25): a server may end a reply stream after an event id (and a
 * `retry`) before the response is ready; the client comes back with GET and `Last-Event-ID`
 * and the server continues that stream. Resolves with why it gave up, or undefined once a
 * response arrived. Throws only when `signal` aborts.
 */
export async function resumeReply(first: SseRead, target: ResumeTarget, signal: AbortSignal): Promise<string | undefined> {
  const { limits } = target;
  let read = first;
  let lastEventId = first.lastEventId!;
  const giveUpAt = Date.now() + limits.windowMs;
  let lastProblem = 'the stream ended again';
  for (let attempt = 0; attempt < limits.maxAttempts; attempt++) {
    const delay = Math.min(read.retryMs ?? limits.initialDelayMs * 1.5 ** attempt, limits.maxDelayMs);
    if (Date.now() + delay > giveUpAt) break;
    await sleep(delay, undefined, { signal, ref: false });
    const h = target.headers();
    h['last-event-id'] = lastEventId;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(target.url, { method: 'GET', headers: h, dispatcher: target.agent, signal });
    } catch (err) {
      if (signal.aborted) throw err;
      lastProblem = `GET failed: ${(err as Error).message}`;
      read = { ...read, answered: false };
      continue;
    }
    const type = String(res.headers['content-type'] ?? '').toLowerCase();
    if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
      await res.body.dump().catch(() => {});
      // 404/405: the server cannot continue this stream; more attempts would not change that.
      if (res.statusCode === 404 || res.statusCode === 405) return `the server refused to resume it (HTTP ${res.statusCode})`;
      lastProblem = `the server answered HTTP ${res.statusCode}${type ? ` ${type}` : ''}`;
      continue;
    }
    const next = await readSse(res.body, target.deliver, true);
    if (next.answered) return undefined;
    lastEventId = next.lastEventId ?? lastEventId;
    read = { ...next, retryMs: next.retryMs ?? read.retryMs };
    lastProblem = 'the stream ended again';
  }
  return `${lastProblem}; gave up resuming after ${limits.maxAttempts} attempts or ${Math.round(limits.windowMs / 1000)} s`;
}

/** Cheap pre-check first: most events are notifications, and only responses carry "result"/"error". */
function isResponse(data: string): boolean {
  if (!data.includes('"result"') && !data.includes('"error"')) return false;
  try {
    const parsed = JSON.parse(data) as unknown;
    const one = (m: unknown): boolean => typeof m === 'object' && m !== null && 'id' in m && !('method' in m) && ('result' in m || 'error' in m);
    return Array.isArray(parsed) ? parsed.some(one) : one(parsed);
  } catch {
    return false;
  }
}
