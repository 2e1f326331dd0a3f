import { Agent, request } from 'undici';
import { DEFAULT_RESUME, readSse, resumeReply, type Body, type ResumeLimits, type ResumeTarget } from './sseReply.js';
import type { SendMeta, Upstream, UpstreamHandlers, UpstreamOutcome } from './upstream.js';

export { DEFAULT_RESUME, type ResumeLimits } from './sseReply.js';

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

const ACCEPT_BOTH = 'application/json, text/event-stream';

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
  return new HttpUpstream(options);
}

class HttpUpstream implements Upstream {
  private readonly handlers: UpstreamHandlers;
  private readonly url: string;
  private readonly graceMs: number;
  private readonly resumeLimits: ResumeLimits;
  private readonly agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000 });
  private readonly inflight = new Set<AbortController>();
  /** Waiters for the last POST in flight to finish (close() lets them). */
  private readonly idle: Array<() => void> = [];
  private posts = 0;
  private sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private stopping = false;
  private finished = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: HttpUpstreamOptions) {
    this.handlers = options.handlers;
    this.url = options.url;
    this.graceMs = options.graceMs ?? 2000;
    this.resumeLimits = { ...DEFAULT_RESUME, ...options.resume };
  }

  send(framed: Buffer, end: number, meta: SendMeta): void {
    if (this.stopping) {
      this.handlers.sendFailed(meta, 'upstream closed');
      return;
    }
    void this.post(framed.subarray(0, end), meta);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (this.finished) return;
    if (this.posts > 0) {
      await new Promise<void>((resolve) => {
        this.idle.push(resolve);
        setTimeout(resolve, this.graceMs).unref();
      });
    }
    this.stopping = true;
    for (const ac of this.inflight) ac.abort();
    if (this.sessionId !== undefined) {
      try {
        const res = await request(this.url, { method: 'DELETE', headers: this.headers(ACCEPT_BOTH, false), dispatcher: this.agent, signal: AbortSignal.timeout(this.graceMs) });
        await res.body.dump();
      } catch {
        // the session ends with us either way
      }
    }
    this.finish({ failed: false, reason: 'closed', exitCode: 0 });
  }

  private headers(accept: string, json: boolean): Record<string, string> {
    const h: Record<string, string> = { ...this.options.headers, accept };
    if (json) h['content-type'] = 'application/json';
    if (this.sessionId !== undefined) h['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion !== undefined) h['mcp-protocol-version'] = this.protocolVersion;
    return h;
  }

  private finish(outcome: UpstreamOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.stopping = true;
    for (const ac of this.inflight) ac.abort();
    void this.agent.destroy().catch(() => {});
    this.handlers.closed(outcome);
  }

  private deliver(text: string, isInitialize: boolean): void {
    if (this.finished) return;
    // Raw newlines can only be whitespace between JSON tokens: flatten to keep one message per line.
    if (text.includes('\n') || text.includes('\r')) text = text.replace(/[\r\n]/g, ' ');
    if (isInitialize) {
      try {
        const version = (JSON.parse(text) as { result?: { protocolVersion?: unknown } }).result?.protocolVersion;
        if (typeof version === 'string') this.protocolVersion = version;
      } catch {
        // the router reports malformed messages
      }
    }
    const framed = Buffer.from(`${text}\n`);
    this.handlers.message(framed, framed.length - 1);
  }

  private resumeTarget(isInitialize: boolean): ResumeTarget {
    return { url: this.url, agent: this.agent, limits: this.resumeLimits, headers: () => this.headers('text/event-stream', false), deliver: (data) => this.deliver(data, isInitialize) };
  }

  /** Runs one HTTP exchange, abortable on close; POSTs are counted so close() can let them finish. */
  private track<T>(run: (signal: AbortSignal) => Promise<T>, isPost: boolean): Promise<T | undefined> {
    const ac = new AbortController();
    this.inflight.add(ac);
    if (isPost) this.posts++;
    return run(ac.signal)
      .catch((err: unknown) => {
        if (!this.stopping) throw err;
        return undefined;
      })
      .finally(() => {
        this.inflight.delete(ac);
        if (isPost && --this.posts === 0) for (const wake of this.idle.splice(0)) wake();
      });
  }

  /** The standalone GET stream for server-initiated messages; reconnects a few times, stops on 405. */
  private async openGetStream(): Promise<void> {
    let lastEventId: string | undefined;
    let retryMs: number | undefined;
    for (let attempt = 0; attempt < 5 && !this.stopping; attempt++) {
      const result = await this.track(async (signal) => {
        const h = this.headers('text/event-stream', false);
        if (lastEventId !== undefined) h['last-event-id'] = lastEventId;
        const res = await request(this.url, { method: 'GET', headers: h, dispatcher: this.agent, signal });
        if (res.statusCode === 405) {
          await res.body.dump();
          return 'unsupported' as const;
        }
        if (res.statusCode !== 200) {
          await res.body.dump();
          throw new Error(`HTTP ${res.statusCode}`);
        }
        attempt = 0;
        const read = await readSse(res.body, (data) => this.deliver(data, false));
        lastEventId = read.lastEventId ?? lastEventId;
        retryMs = read.retryMs ?? retryMs;
        return 'ended' as const;
      }, false).catch((err: unknown) => {
        this.handlers.log(`upstream GET stream: ${(err as Error).message}`);
        return 'error' as const;
      });
      if (result === 'unsupported' || result === undefined) return;
      const delay = Math.min(retryMs ?? 500 * (attempt + 1), this.resumeLimits.maxDelayMs);
      if (!this.stopping) await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }

  private async post(body: Buffer, meta: SendMeta): Promise<void> {
    try {
      await this.track(async (signal) => {
        const res = await request(this.url, { method: 'POST', headers: this.headers(ACCEPT_BOTH, true), body, dispatcher: this.agent, signal });
        const sid = res.headers['mcp-session-id'];
        if (typeof sid === 'string' && sid !== '') this.sessionId = sid;
        if (!(await this.readReply(res.statusCode, String(res.headers['content-type'] ?? '').toLowerCase(), res.body, meta, signal))) return;
        if (meta.method === 'notifications/initialized') void this.openGetStream();
        // Requests the reply did not answer (a stream that ended early) are answered now; answered ones are skipped.
        if (meta.expectsReply) this.handlers.sendFailed(meta, 'upstream ended its reply without a response');
      }, true);
    } catch (err) {
      this.handlers.sendFailed(meta, `upstream unreachable: ${(err as Error).message}`);
    }
  }

  /** Reads a POST's reply (JSON, SSE, or an HTTP error); false when the request was answered with a failure. */
  private async readReply(status: number, type: string, body: Body, meta: SendMeta, signal: AbortSignal): Promise<boolean> {
    const isInitialize = meta.method === 'initialize';
    if (status === 404 && this.sessionId !== undefined && !isInitialize) {
      await body.dump();
      this.handlers.sendFailed(meta, 'upstream session expired (HTTP 404)');
      this.finish({ failed: true, reason: 'upstream session expired (HTTP 404)', exitCode: 1 });
      return false;
    }
    const ok = status >= 200 && status < 300;
    if (ok && type.startsWith('text/event-stream')) {
      const target = this.resumeTarget(isInitialize);
      const read = await readSse(body, target.deliver);
      if (meta.expectsReply && !read.answered && read.lastEventId !== undefined && this.resumeLimits.maxAttempts > 0) {
        const why = await resumeReply(read, target, signal);
        if (why !== undefined) {
          this.handlers.log(`upstream closed the reply stream of ${meta.method ?? 'a request'} early: ${why}`);
          this.handlers.sendFailed(meta, `upstream closed its reply stream before the response and resuming it (Last-Event-ID) failed: ${why}`);
          return false;
        }
      }
    } else if (ok && type.startsWith('application/json')) {
      const text = await body.text();
      if (text.trim() !== '') this.deliver(text, isInitialize);
    } else {
      const text = status === 202 || status === 204 ? '' : await body.text().catch(() => '');
      if (status >= 300) {
        this.handlers.sendFailed(meta, `upstream answered HTTP ${status}${text ? `: ${text.slice(0, 300)}` : ''}`);
        return false;
      }
      if (status !== 202 && status !== 204) await body.dump();
    }
    return true;
  }
}
