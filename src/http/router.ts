import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './errors.js';

/** What a route handler receives. `params` are percent-decoded path segments, not yet validated. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
}

/** Answers one matched request; throwing hands the error to the gateway's status mapper. */
export type RouteHandler = (ctx: RouteContext) => Promise<void> | void;

/**
 * One route. `path` is a pattern of `/`-separated segments where `:name` captures one whole
 * segment (never a `/`, even percent-encoded: the captured value is decoded after splitting).
 * `auth: 'token'` requires the access token (or a signed-in browser); `'open'` only when the
 * bind is loopback; `'public'` never (the page, its assets and sign-in itself: a browser needs
 * them before it can sign in, and they hold no data).
 */
export interface Route {
  path: string;
  /** Handlers by method. A route with GET and no HEAD answers HEAD with its GET handler (see {@link createRouter}). */
  methods: Partial<Record<string, RouteHandler>>;
  auth: 'token' | 'open' | 'public';
  /** False: HEAD is not derived from GET (for protocols whose GET opens a stream, e.g. `/mcp`). */
  headFromGet?: boolean;
}

/** A matched request. */
export interface RouteMatch {
  route: Route;
  handler: RouteHandler;
  params: Record<string, string>;
  query: URLSearchParams;
}

/** Longest request target accepted; longer ones get 414 before any matching. */
export const MAX_URL_LENGTH = 4096;

/**
 * Returns a matcher over `routes`. The matcher throws HttpError 400 (malformed target or
 * percent-encoding), 414 (too long), 404 (no route) or 405 (route exists, method does not;
 * with an `Allow` header). It never normalises `..`: such segments simply fail to match or
 * fail the handler's validation. HEAD runs the GET handler where the route has no HEAD of its
 * own (RFC 9110 9.3.2: the same status and headers, no body): node:http drops the body of a
 * response to HEAD, so such a handler must end its response once the head is written.
 */
export function createRouter(routes: Route[]): (method: string, target: string) => RouteMatch {
  const compiled = routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
  return (method, target) => {
    if (target.length > MAX_URL_LENGTH) throw new HttpError(414, 'URI_TOO_LONG', 'request target too long');
    if (!target.startsWith('/')) throw new HttpError(400, 'BAD_REQUEST', 'request target must be an absolute path');
    const q = target.indexOf('?');
    const rawPath = q === -1 ? target : target.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1));
    const rawSegments = rawPath.split('/').slice(1);
    for (const { route, segments } of compiled) {
      const params = matchSegments(segments, rawSegments);
      if (!params) continue;
      const handler = route.methods[method] ?? (method === 'HEAD' && route.headFromGet !== false ? route.methods.GET : undefined);
      if (!handler) {
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `method ${method} not allowed here`, { Allow: allowedMethods(route).join(', ') });
      }
      return { route, handler, params, query };
    }
    throw new HttpError(404, 'NOT_FOUND', 'no such route');
  };
}

/** The methods a route answers, HEAD included where it is derived from GET. */
export function allowedMethods(route: Route): string[] {
  const methods = Object.keys(route.methods).filter((m) => route.methods[m] !== undefined);
  if (methods.includes('GET') && !methods.includes('HEAD') && route.headFromGet !== false) methods.splice(methods.indexOf('GET') + 1, 0, 'HEAD');
  return methods;
}

function matchSegments(pattern: string[], raw: string[]): Record<string, string> | undefined {
  if (pattern.length !== raw.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const r = raw[i]!;
    if (p.startsWith(':')) {
      params[p.slice(1)] = decodeSegment(r);
    } else if (p !== r) {
      return undefined;
    }
  }
  return params;
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'malformed percent-encoding in path');
  }
}
