import { Agent, request } from 'undici';
import { createSseParser } from './sseParser.js';
import type { SendMeta, Upstream, UpstreamHandlers, UpstreamOutcome } from './upstream.js';

/** An upstream MCP server reached over Streamable HTTP. */
export interface HttpUpstreamSpec {
  url: string;
  /** Extra request headers (e.g. Authorization). Never logged or recorded. */
  headers?: Record<string, string>;
}

export interface HttpUpstreamOptions extends HttpUpstreamSpec {
  handlers: UpstreamHandlers;
  /** How long `close()` lets requests in flight finish before aborting them, and how long DELETE may take. Default 2000 ms. */
  graceMs?: number;
}

type Body = Awaited<ReturnType<typeof request>>['body'];

/**
 * Streamable HTTP client side of the proxy (MCP 2025-03-26 and later): POSTs each message
 * with `Accept: application/json, text/event-stream`, keeps `Mcp-Session-Id` and
 * `MCP-Protocol-Version` (from the initialize result), reads JSON and SSE replies, opens the
 * standalone GET stream after `notifications/initialized` (405 means none), and sends DELETE
 * on close. Requests whose POST fails are answered through `handlers.sendFailed`; an HTTP 404
 * for a known session ends the upstream (the server forgot the session).
 */
export function createHttpUpstream(options: HttpUpstreamOptions): Upstream {
  const { handlers, url } = options;
  const graceMs = options.graceMs ?? 2000;
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

  const readSse = async (body: Body, isInitialize: boolean): Promise<string | undefined> => {
    const parser = createSseParser((event) => {
      if ((event.event === undefined || event.event === 'message') && event.data.trim() !== '') deliver(event.data, isInitialize);
    });
    const decoder = new TextDecoder();
    for await (const chunk of body) parser.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true }));
    return parser.lastEventId;
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
        lastEventId = (await readSse(res.body, false)) ?? lastEventId;
        return 'ended' as const;
      }, false).catch((err: unknown) => {
        handlers.log(`upstream GET stream: ${(err as Error).message}`);
        return 'error' as const;
      });
      if (result === 'unsupported' || result === undefined) return;
      if (!stopping) await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)).unref());
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
          await readSse(res.body, isInitialize);
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
