import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

/** Host names that only reach this machine. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** True when binding `host` accepts traffic from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A fresh 256-bit access token, base64url (43 characters). */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Options of {@link createSecurity}. */
export interface SecurityOptions {
  /** The address the gateway is bound to. */
  host: string;
  /** The port actually bound (after port 0 was resolved). */
  port: number;
  token: string;
  /** Extra accepted `Host` values: `name` (meaning `name:<bound port>`) or `name:port`. */
  allowedHosts?: string[];
  /** Extra accepted `Origin` values, e.g. `https://example.test`. CORS headers are sent to these only. */
  allowedOrigins?: string[];
}

/** The checks every request goes through (see {@link createSecurity}). */
export interface Security {
  /** True when every route needs the token (non-loopback bind). */
  readonly tokenEverywhere: boolean;
  /** Throws HttpError 403 unless `Host` is allowed and `Origin`, when present, is allowed. */
  checkHostAndOrigin(req: IncomingMessage): void;
  /** Throws HttpError 401 unless the request carries the token (Bearer or X-Inspector-Token). */
  checkToken(req: IncomingMessage): void;
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
  const port = options.port;
  const names = new Set([...LOOPBACK_NAMES, bracketed(options.host)].map((n) => n.toLowerCase()));
  const hosts = new Set<string>();
  for (const name of names) {
    hosts.add(`${name}:${port}`);
    if (port === 80) hosts.add(name);
  }
  for (const h of options.allowedHosts ?? []) {
    const lower = h.trim().toLowerCase();
    hosts.add(/:\d+$/.test(lower) ? lower : `${lower}:${port}`);
  }
  const configuredOrigins = new Set((options.allowedOrigins ?? []).map(normalizeOrigin));
  const origins = new Set([...configuredOrigins, ...[...names].map((n) => `http://${n}:${port}`)]);
  const tokenDigest = digest(options.token);

  return {
    tokenEverywhere: !isLoopbackHost(options.host),
    checkHostAndOrigin(req) {
      const host = req.headers.host?.trim().toLowerCase();
      if (!host || !hosts.has(host)) throw new HttpError(403, 'FORBIDDEN_HOST', 'host not allowed');
      const origin = req.headers.origin;
      if (origin !== undefined && !origins.has(normalizeOrigin(origin))) throw new HttpError(403, 'FORBIDDEN_ORIGIN', 'origin not allowed');
    },
    checkToken(req) {
      const given = presentedToken(req);
      if (given === undefined) throw unauthorized('missing access token: send Authorization: Bearer <token> or X-Inspector-Token');
      if (!timingSafeEqual(digest(given), tokenDigest)) throw unauthorized('invalid access token');
    },
    corsHeaders(req): Record<string, string> {
      const origin = req.headers.origin;
      if (origin === undefined || !configuredOrigins.has(normalizeOrigin(origin))) return {};
      return {
        'Access-Control-Allow-Origin': origin,
        Vary: 'Origin',
        'Access-Control-Expose-Headers': 'ETag, Content-Range, Accept-Ranges, Content-Length, Mcp-Session-Id',
      };
    },
  };
}

/** Headers a CORS preflight from a configured origin may use. */
export const CORS_ALLOWED_HEADERS = 'Authorization, X-Inspector-Token, Content-Type, Last-Event-ID, Range, If-None-Match, If-Range, Mcp-Session-Id, Mcp-Protocol-Version';

function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const header = req.headers['x-inspector-token'];
  return typeof header === 'string' && header.length > 0 ? header : undefined;
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'UNAUTHORIZED', message, { 'WWW-Authenticate': 'Bearer realm="inspector-mcp"' });
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}
