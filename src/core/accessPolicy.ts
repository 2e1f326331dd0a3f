import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Host names that only reach this machine. */
export const LOOPBACK_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

/** True when binding `host` accepts traffic from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A fresh 256-bit access token, base64url (43 characters). */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Options of {@link createAccessPolicy}. */
export interface AccessPolicyOptions {
  /** The address the server is bound to. */
  host: string;
  /** The port actually bound (after port 0 was resolved). */
  port: number;
  token: string;
  /** Extra accepted `Host` values: `name` (meaning `name` alone or `name:<bound port>`) or `name:port`. */
  allowedHosts?: string[];
  /** Extra accepted `Origin` values, e.g. `https://example.test`. */
  allowedOrigins?: string[];
}

/** The request headers the policy reads (as node:http gives them). */
export interface AccessHeaders {
  host?: string | undefined;
  origin?: string | undefined;
  authorization?: string | undefined;
  'x-inspector-token'?: string | string[] | undefined;
}

/**
 * The DNS-rebinding / CSRF defences (CVE-2025-49596) shared by every HTTP front end: the
 * gateway and `proxy --listen`. Pure decisions; each front end answers them in its own format.
 */
export interface AccessPolicy {
  /** True when every route needs the token (non-loopback bind). */
  readonly tokenEverywhere: boolean;
  /** `Host` is a loopback name or the bound address with the bound port, or a configured host. */
  hostAllowed(headers: AccessHeaders): boolean;
  /** `Origin` is absent, or an allowed one (`http://<allowed name>:<port>` or configured). */
  originAllowed(headers: AccessHeaders): boolean;
  /** `Origin` is one of the configured `allowedOrigins` (the only ones that get CORS headers). */
  originConfigured(headers: AccessHeaders): boolean;
  /** Whether the request carries the token (Bearer or X-Inspector-Token), compared in constant time. */
  checkToken(headers: AccessHeaders): 'ok' | 'missing' | 'invalid';
}

/** Builds the {@link AccessPolicy} of a server bound to `host:port`. */
export function createAccessPolicy(options: AccessPolicyOptions): AccessPolicy {
  const { port } = options;
  const names = new Set([...LOOPBACK_NAMES, bracketed(options.host)].map((n) => n.toLowerCase()));
  const hosts = new Set<string>();
  for (const name of names) {
    hosts.add(`${name}:${port}`);
    if (port === 80) hosts.add(name);
  }
  for (const h of options.allowedHosts ?? []) {
    const lower = h.trim().toLowerCase();
    if (/:\d+$/.test(lower)) hosts.add(lower);
    else {
      // A reverse proxy in front usually passes its own Host on, without a port (80/443).
      hosts.add(lower);
      hosts.add(`${lower}:${port}`);
    }
  }
  const configuredOrigins = new Set((options.allowedOrigins ?? []).map(normalizeOrigin));
  const origins = new Set([...configuredOrigins, ...[...names].map((n) => `http://${n}:${port}`)]);
  const tokenDigest = digest(options.token);

  return {
    tokenEverywhere: !isLoopbackHost(options.host),
    hostAllowed: (headers) => {
      const host = headers.host?.trim().toLowerCase();
      return host !== undefined && hosts.has(host);
    },
    originAllowed: (headers) => headers.origin === undefined || origins.has(normalizeOrigin(headers.origin)),
    originConfigured: (headers) => headers.origin !== undefined && configuredOrigins.has(normalizeOrigin(headers.origin)),
    checkToken(headers) {
      const given = presentedToken(headers);
      if (given === undefined) return 'missing';
      return timingSafeEqual(digest(given), tokenDigest) ? 'ok' : 'invalid';
    },
  };
}

function presentedToken(headers: AccessHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const header = headers['x-inspector-token'];
  return typeof header === 'string' && header.length > 0 ? header : undefined;
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
