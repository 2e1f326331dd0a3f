import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Options of {@link createSignIn}. */
export interface SignInOptions {
  /** The bound port: cookies are not port-scoped, so the cookie name carries it (two gateways on one host keep separate sign-ins). */
  port: number;
  /** How long an unused code stays valid. Default 24 h. */
  codeTtlMs?: number;
  /** Outstanding codes kept; the oldest is dropped past this. Default 32. */
  maxCodes?: number;
  /** Signed-in browsers kept; the oldest sign-in is dropped past this. Default 1000. */
  maxSessions?: number;
  now?: () => number;
}

/**
 * Browser sign-in without the token in any URL. A one-time code (printed in the sign-in link)
 * or the token itself (posted in a body) is exchanged for a random cookie secret; the code is
 * void from then on. Only SHA-256 digests of codes and secrets are kept, in memory: a restarted
 * gateway forgets every sign-in, as it forgets a random token.
 */
export interface SignIn {
  /** Name of the cookie, `mcpscope_<port>`. */
  readonly cookieName: string;
  /** A fresh one-time code (base64url, 128 bits). */
  newCode(): string;
  /** Voids `code` and returns a new cookie secret, or undefined when the code is unknown, used or expired. */
  redeemCode(code: string): string | undefined;
  /** A new cookie secret for a caller that proved it holds the token. */
  openSession(): string;
  /** True when the request's cookie names a live sign-in. */
  hasSession(req: IncomingMessage): boolean;
  /** Ends the sign-in the request's cookie names (no-op without one). */
  closeSession(req: IncomingMessage): void;
  /** `Set-Cookie` value carrying `secret` (HttpOnly, SameSite=Strict, Path=/; Secure when the page was reached over https). */
  cookie(secret: string, secure?: boolean): string;
  /** `Set-Cookie` value that removes the cookie. */
  clearedCookie(): string;
}

/** Builds the gateway's {@link SignIn}. */
export function createSignIn(options: SignInOptions): SignIn {
  const ttl = options.codeTtlMs ?? 24 * 3600_000;
  const maxCodes = options.maxCodes ?? 32;
  const maxSessions = options.maxSessions ?? 1000;
  const now = options.now ?? Date.now;
  const cookieName = `mcpscope_${options.port}`;
  // Maps keep insertion order: the first key is the oldest, dropped when full.
  const codes = new Map<string, number>();
  const sessions = new Set<string>();

  const openSession = () => {
    const secret = randomBytes(32).toString('base64url');
    sessions.add(digest(secret));
    if (sessions.size > maxSessions) sessions.delete(sessions.values().next().value!);
    return secret;
  };
  const cookieSecret = (req: IncomingMessage) => readCookie(req.headers.cookie, cookieName);

  return {
    cookieName,
    newCode() {
      const code = randomBytes(16).toString('base64url');
      codes.set(digest(code), now() + ttl);
      if (codes.size > maxCodes) codes.delete(codes.keys().next().value!);
      return code;
    },
    redeemCode(code) {
      if (typeof code !== 'string' || code.length > 100) return undefined;
      const key = digest(code);
      const expires = codes.get(key);
      if (expires === undefined) return undefined;
      codes.delete(key);
      return expires > now() ? openSession() : undefined;
    },
    openSession,
    hasSession(req) {
      const secret = cookieSecret(req);
      return secret !== undefined && sessions.has(digest(secret));
    },
    closeSession(req) {
      const secret = cookieSecret(req);
      if (secret !== undefined) sessions.delete(digest(secret));
    },
    cookie: (secret, secure = false) => `${cookieName}=${secret}; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`,
    clearedCookie: () => `${cookieName}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`,
  };
}

// Lookups go through a digest of a high-entropy secret, so a Set/Map lookup leaks no timing
// information about the secret itself.
function digest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** The value of cookie `name` in a `Cookie` header, when it is there once and well-formed. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 8192) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(value)) return undefined;
    if (found !== undefined) return undefined;
    found = value;
  }
  return found;
}
