import { createAccessPolicy, type AccessPolicyOptions } from '../core/accessPolicy.js';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

export { isLoopbackHost, newAccessToken } from '../core/accessPolicy.js';

/** Options of {@link createSecurity}: the access policy's (CORS headers go to `allowedOrigins` only). */
export type SecurityOptions = AccessPolicyOptions;

/** The checks every request goes through (see {@link createSecurity}). */
export interface Security {
  /** True when every route needs the token (non-loopback bind). */
  readonly tokenEverywhere: boolean;
  /** Throws HttpError 403 unless `Host` is allowed and `Origin`, when present, is allowed. */
  checkHostAndOrigin(req: IncomingMessage): void;
  /** Throws HttpError 403 (code UNAUTHORIZED, no challenge) unless the request carries the token (Bearer or X-Inspector-Token). */
  checkToken(req: IncomingMessage): void;
  /**
   * Like {@link checkToken}, but a browser signed in with a cookie (`signedIn`) passes too,
   * except that a state-changing method (not GET/HEAD) on the cookie alone also needs an
   * `Origin` (already checked to be allowed): SameSite does not separate ports of one host, the
   * Origin does. A token that is present but wrong is refused even with a valid cookie.
   */
  checkAuth(req: IncomingMessage, signedIn: (req: IncomingMessage) => boolean): void;
  /** True when `value` is the access token (constant time). */
  tokenMatches(value: string): boolean;
  /** How the request authenticates: `bearer` (a valid token), `cookie` (a signed-in browser) or undefined. */
  authOf(req: IncomingMessage, signedIn: (req: IncomingMessage) => boolean): 'bearer' | 'cookie' | undefined;
  /** CORS response headers for `req`: empty unless its Origin is one of the configured allowedOrigins. */
  corsHeaders(req: IncomingMessage): Record<string, string>;
}

/**
 * Builds the DNS-rebinding / CSRF defences (CVE-2025-49596). The allowed hosts are the
 * loopback names (`127.0.0.1`, `localhost`, `[::1]`) and the bound address, each with the
 * bound port, plus `allowedHosts`; allowed origins are `http://<those>` plus `allowedOrigins`.
 * Token comparison is constant time over SHA-256 digests.
 */
export function createSecurity(options: SecurityOptions): Security {
  const policy = createAccessPolicy(options);
  return {
    tokenEverywhere: policy.tokenEverywhere,
    checkHostAndOrigin(req) {
      if (!policy.hostAllowed(req.headers)) throw new HttpError(403, 'FORBIDDEN_HOST', 'host not allowed');
      if (!policy.originAllowed(req.headers)) throw new HttpError(403, 'FORBIDDEN_ORIGIN', 'origin not allowed');
    },
    checkToken(req) {
      const verdict = policy.checkToken(req.headers);
      if (verdict !== 'ok') throw unauthorized(`${verdict} access token: pass the token printed at start (or MCPSCOPE_TOKEN) as Authorization: Bearer <token> (or X-Inspector-Token: <token>)`);
    },
    checkAuth(req, signedIn) {
      const verdict = policy.checkToken(req.headers);
      if (verdict === 'ok') return;
      if (verdict === 'missing' && signedIn(req)) {
        const method = req.method ?? 'GET';
        if (method === 'GET' || method === 'HEAD' || req.headers.origin !== undefined) return;
        throw unauthorized('a signed-in browser request that changes state must carry an Origin header; API clients pass Authorization: Bearer <token>');
      }
      throw unauthorized(`${verdict} access token: pass the token printed at start (or MCPSCOPE_TOKEN) as Authorization: Bearer <token> (or X-Inspector-Token: <token>); a browser signs in from the link \`mcpscope serve\` printed`);
    },
    tokenMatches(value) {
      return policy.checkToken({ authorization: `Bearer ${value}` }) === 'ok' && !/\s/.test(value);
    },
    authOf(req, signedIn) {
      const verdict = policy.checkToken(req.headers);
      if (verdict === 'ok') return 'bearer';
      return verdict === 'missing' && signedIn(req) ? 'cookie' : undefined;
    },
    corsHeaders(req): Record<string, string> {
      if (!policy.originConfigured(req.headers)) return {};
      return {
        'Access-Control-Allow-Origin': req.headers.origin!,
        Vary: 'Origin',
        'Access-Control-Expose-Headers': 'ETag, Content-Range, Accept-Ranges, Content-Length, Mcp-Session-Id',
      };
    },
  };
}

/** Headers a CORS preflight from a configured origin may use. */
export const CORS_ALLOWED_HEADERS = 'Authorization, X-Inspector-Token, Content-Type, Last-Event-ID, Range, If-None-Match, If-Range, Mcp-Session-Id, Mcp-Protocol-Version';


/**
 * 403, not 401: RFC 9110 makes a 401 carry a WWW-Authenticate challenge, and MCP clients answer
 * any 401 on /mcp with OAuth discovery (the Inspector CLI then fails with "Interactive OAuth
 * requires a TTY", hiding this message). No challenge can be met here (the token is fixed at
 * start), so the refusal is a 403 whose body says what to send; MCP clients show that body.
 */
function unauthorized(message: string): HttpError {
  return new HttpError(403, 'UNAUTHORIZED', message);
}
