import type { IncomingMessage, ServerResponse } from 'node:http';
import { repeatedSingleField } from '../core/http/repeatedFields.js';
import { HttpError, sendError } from './errors.js';
import type { createRouter, RouteMatch } from './router.js';
import { CORS_ALLOWED_HEADERS, type Security } from './security.js';

/**
 * Answers one request: repeated singleton fields (400), Host/Origin (403), CORS preflight,
 * routing (404/405), the token where needed (401), then the route's handler; any error is
 * answered by sendError.
 */
export async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  security: Security,
  signedIn: (req: IncomingMessage) => boolean,
  route: ReturnType<typeof createRouter>,
  log: (line: string) => void,
): Promise<void> {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  try {
    rejectRepeatedFields(req);
    security.checkHostAndOrigin(req);
    const cors = security.corsHeaders(req);
    for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
    const target = req.url ?? '/';
    if (req.method === 'OPTIONS' && cors['Access-Control-Allow-Origin'] && req.headers['access-control-request-method']) {
      res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, HEAD, POST, DELETE', 'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS, 'Access-Control-Max-Age': '600' });
      res.end();
      return;
    }
    let match: RouteMatch | undefined;
    let noRoute: unknown;
    try {
      match = route(req.method ?? 'GET', target);
    } catch (err) {
      noRoute = err;
    }
    // Off loopback, even a request for no route needs credentials before it learns so.
    if (security.tokenEverywhere && match?.route.auth !== 'public') security.checkAuth(req, signedIn);
    if (match === undefined) throw noRoute;
    if (match.route.auth === 'token') security.checkAuth(req, signedIn);
    await match.handler({ req, res, params: match.params, query: match.query });
  } catch (err) {
    sendError(res, err, log);
  }
}

/** Throws HttpError 400 when a field that must be single (see repeatedSingleField) is repeated. */
function rejectRepeatedFields(req: IncomingMessage): void {
  const name = repeatedSingleField(req.rawHeaders);
  if (name !== undefined) throw new HttpError(400, 'BAD_REQUEST', `header ${name} given more than once`, { Connection: 'close' });
}
