import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { createSseParser } from './sseParser.js';
import type { SendMeta, Upstream, UpstreamHandlers, UpstreamOutcome } from './upstream.js';

/** An upstream MCP server reached over Streamable HTTP. */
export interface HttpUpstreamSpec {
  url: string;
  /** Extra request headers (e.g. Authorization). Never logged or recorded. */
  headers?: Record<string, string>;
  /**
   * How a reply stream the server closed before its response is resumed (GET with
   * `Last-Event-ID`). Defaults: {@link DEFAULT_RESUME}. `maxAttempts: 0` turns resuming off.
   */
  resume?: Partial<ResumeLimits>;
}

export interface HttpUpstreamOptions extends HttpUpstreamSpec {
  handlers: UpstreamHandlers;
  /** How long `close()` lets requests in flight finish before aborting them, and how long DELETE may take. Default 2000 ms. */
  graceMs?: number;
}

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
interface SseRead {
  lastEventId: string | undefined;
  retryMs: number | undefined;
  /** True when at least one JSON-RPC response arrived (the SDK client resumes only until then too). */
  answered: boolean;
}

type Body = Awaited<ReturnType<typeof request>>['body'];

/**
 * Streamable HTTP client side of the proxy (MCP 2025-03-26 and later): POSTs each message
 * with `Accept: application/json, text/event-stream`, keeps `Mcp-Session-Id` and
 * `MCP-Protocol-Version` (from the initialize result), reads JSON and SSE replies, opens the
 * standalone GET stream after `notifications/initialized` (405 means none), and sends DELETE
 * on close. A reply stream the server ends before the response after an event id (SSE polling,
 * MCP 2025-11-25) is resumed with GET and `Last-Event-ID` after the server's `retry` (bounded by
 * `resume`). Requests whose POST fails are answered through `handlers.sendFailed`; an HTTP 404
 * for a known session ends the upstream (the server forgot the session).
 */
export function createHttpUpstream(options: HttpUpstreamOptions): Upstream {
  const { handlers, url } = options;
  const graceMs = options.graceMs ?? 2000;
  const resume: ResumeLimits = { ...DEFAULT_RESUME, ...options.resume };
  const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000 });
  const inflight = new Set<AbortController>();
  const idle: Array<() => void> = [];
  let sessionId: string | undefined;
  let protocolVersion: string | undefined;
  let stopping = false;
  let finished = false;
  let closing: Promise<void> | undefined;

  const headers = (accept: string, json: boolean): Record<string, string> => {
    const h: Record<string, string> = { ...options.headers, accept };
    if (json) h['content-type'] = 'application/json';
    if (sessionId !== undefined) h['mcp-session-id'] = sessionId;
    if (protocolVersion !== undefined) h['mcp-protocol-version'] = protocolVersion;
    return h;
  };

  const finish = (outcome: UpstreamOutcome): void => {
    if (finished) return;
    finished = true;
    stopping = true;
    for (const ac of inflight) ac.abort();
    void agent.destroy().catch(() => {});
    handlers.closed(outcome);
  };

  const deliver = (text: string, isInitialize: boolean): void => {
    if (finished) return;
    // Raw newlines can only be whitespace between JSON tokens: flatten to keep one message per line.
    if (text.includes('\n') || text.includes('\r')) text = text.replace(/[\r\n]/g, ' ');
    if (isInitialize) {
      try {
        const version = (JSON.parse(text) as { result?: { protocolVersion?: unknown } }).result?.protocolVersion;
        if (typeof version === 'string') protocolVersion = version;
      } catch {
        // the router reports malformed messages
      }
    }
    const framed = Buffer.from(`${text}\n`);
    handlers.message(framed, framed.length - 1);
  };

  /** Reads an SSE body to its end, or (`untilAnswered`) until a response arrived: a resumed GET stream may stay open. */
  const readSse = async (body: Body, isInitialize: boolean, untilAnswered = false): Promise<SseRead> => {
    let answered = false;
    const parser = createSseParser((event) => {
      if ((event.event === undefined || event.event === 'message') && event.data.trim() !== '') {
        if (!answered && isResponse(event.data)) answered = true;
        deliver(event.data, isInitialize);
      }
    });
    const decoder = new TextDecoder();
    for await (const chunk of body) {
      parser.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true }));
      if (untilAnswered && answered) break;
    }
    return { lastEventId: parser.lastEventId, retryMs: parser.retryMs, answered };
  };

  /**
   * SSE polling (MCP 2025-11-25): a server may end a reply stream after an event id (and a
   * `retry`) before the response is ready; the client comes back with GET and `Last-Event-ID`
   * and the server continues that stream. Resolves with why it gave up, or undefined once a
   * response arrived.
   */
  const resumeReply = async (first: SseRead, isInitialize: boolean, signal: AbortSignal): Promise<string | undefined> => {
    let read = first;
    let lastEventId = first.lastEventId!;
    const giveUpAt = Date.now() + resume.windowMs;
    let lastProblem = 'the stream ended again';
    for (let attempt = 0; attempt < resume.maxAttempts; attempt++) {
      const delay = Math.min(read.retryMs ?? resume.initialDelayMs * 1.5 ** attempt, resume.maxDelayMs);
      if (Date.now() + delay > giveUpAt) break;
      await sleep(delay, undefined, { signal, ref: false });
      const h = headers('text/event-stream', false);
      h['last-event-id'] = lastEventId;
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(url, { method: 'GET', headers: h, dispatcher: agent, signal });
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
      const next = await readSse(res.body, isInitialize, true);
      if (next.answered) return undefined;
      lastEventId = next.lastEventId ?? lastEventId;
      read = { ...next, retryMs: next.retryMs ?? read.retryMs };
      lastProblem = 'the stream ended again';
    }
    return `${lastProblem}; gave up resuming after ${resume.maxAttempts} attempts or ${Math.round(resume.windowMs / 1000)} s`;
  };

  /** Runs one HTTP exchange, abortable on close; `posts` counts the ones close() lets finish. */
  let posts = 0;
  const track = <T>(run: (signal: AbortSignal) => Promise<T>, isPost: boolean): Promise<T | undefined> => {
    const ac = new AbortController();
    inflight.add(ac);
    if (isPost) posts++;
    return run(ac.signal)
      .catch((err: unknown) => {
        if (!stopping) throw err;
        return undefined;
      })
      .finally(() => {
        inflight.delete(ac);
        if (isPost && --posts === 0) for (const wake of idle.splice(0)) wake();
      });
  };

  const openGetStream = async (): Promise<void> => {
    let lastEventId: string | undefined;
    let retryMs: number | undefined;
    for (let attempt = 0; attempt < 5 && !stopping; attempt++) {
      const result = await track(async (signal) => {
        const h = headers('text/event-stream', false);
        if (lastEventId !== undefined) h['last-event-id'] = lastEventId;
        const res = await request(url, { method: 'GET', headers: h, dispatcher: agent, signal });
        if (res.statusCode === 405) {
          await res.body.dump();
          return 'unsupported' as const;
        }
        if (res.statusCode !== 200) {
          await res.body.dump();
          throw new Error(`HTTP ${res.statusCode}`);
        }
        attempt = 0;
        const read = await readSse(res.body, false);
        lastEventId = read.lastEventId ?? lastEventId;
        retryMs = read.retryMs ?? retryMs;
        return 'ended' as const;
      }, false).catch((err: unknown) => {
        handlers.log(`upstream GET stream: ${(err as Error).message}`);
        return 'error' as const;
      });
      if (result === 'unsupported' || result === undefined) return;
      const delay = Math.min(retryMs ?? 500 * (attempt + 1), resume.maxDelayMs);
      if (!stopping) await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  };

  const post = async (body: Buffer, meta: SendMeta): Promise<void> => {
    const isInitialize = meta.method === 'initialize';
    try {
      await track(async (signal) => {
        const res = await request(url, { method: 'POST', headers: headers('application/json, text/event-stream', true), body, dispatcher: agent, signal });
        const sid = res.headers['mcp-session-id'];
        if (typeof sid === 'string' && sid !== '') sessionId = sid;
        const status = res.statusCode;
        const type = String(res.headers['content-type'] ?? '').toLowerCase();
        if (status === 404 && sessionId !== undefined && !isInitialize) {
          await res.body.dump();
          handlers.sendFailed(meta, 'upstream session expired (HTTP 404)');
          finish({ failed: true, reason: 'upstream session expired (HTTP 404)', exitCode: 1 });
          return;
        }
        if (status >= 200 && status < 300 && type.startsWith('text/event-stream')) {
          const read = await readSse(res.body, isInitialize);
          if (meta.expectsReply && !read.answered && read.lastEventId !== undefined && resume.maxAttempts > 0) {
            const why = await resumeReply(read, isInitialize, signal);
            if (why !== undefined) {
              handlers.log(`upstream closed the reply stream of ${meta.method ?? 'a request'} early: ${why}`);
              handlers.sendFailed(meta, `upstream closed its reply stream before the response and resuming it (Last-Event-ID) failed: ${why}`);
              return;
            }
          }
        } else if (status >= 200 && status < 300 && type.startsWith('application/json')) {
          const text = await res.body.text();
          if (text.trim() !== '') deliver(text, isInitialize);
        } else {
          const text = status === 202 || status === 204 ? '' : await res.body.text().catch(() => '');
          if (status >= 300) {
            handlers.sendFailed(meta, `upstream answered HTTP ${status}${text ? `: ${text.slice(0, 300)}` : ''}`);
            return;
          }
          if (status !== 202 && status !== 204) await res.body.dump();
        }
        if (meta.method === 'notifications/initialized') void openGetStream();
        // Requests the reply did not answer (a stream that ended early) are answered now; answered ones are skipped.
        if (meta.expectsReply) handlers.sendFailed(meta, 'upstream ended its reply without a response');
      }, true);
    } catch (err) {
      handlers.sendFailed(meta, `upstream unreachable: ${(err as Error).message}`);
    }
  };

  return {
    send(framed: Buffer, end: number, meta: SendMeta): void {
      if (stopping) {
        handlers.sendFailed(meta, 'upstream closed');
        return;
      }
      void post(framed.subarray(0, end), meta);
    },
    close(): Promise<void> {
      closing ??= (async () => {
        if (finished) return;
        if (posts > 0) {
          await new Promise<void>((resolve) => {
            idle.push(resolve);
            setTimeout(resolve, graceMs).unref();
          });
        }
        stopping = true;
        for (const ac of inflight) ac.abort();
        if (sessionId !== undefined) {
          try {
            const res = await request(url, {
              method: 'DELETE',
              headers: headers('application/json, text/event-stream', false),
              dispatcher: agent,
              signal: AbortSignal.timeout(graceMs),
            });
            await res.body.dump();
          } catch {
            // the session ends with us either way
          }
        }
        finish({ failed: false, reason: 'closed', exitCode: 0 });
      })();
      return closing;
    },
  };
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
