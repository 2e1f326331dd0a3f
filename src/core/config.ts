import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InspectorError } from './errors.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7800;

/** Resolved configuration (DESIGN section 8). */
export interface InspectorConfig {
  tracesDir: string;
  host: string;
  port: number;
  /** Access token from flags or MCPSCOPE_TOKEN; undefined means "generate one at start". */
  token?: string;
  /** Extra `Host` values the HTTP front ends accept (`name` or `name:port`), e.g. behind a reverse proxy. */
  allowedHosts?: string[];
  /** Extra `Origin` values the HTTP front ends accept (and send CORS headers to), e.g. `https://inspector.example.com`. */
  allowedOrigins?: string[];
  /** Retention age limit in days from flags or MCPSCOPE_RETENTION_DAYS (0: none); undefined means the default. */
  retentionDays?: number;
  /** Retention size limit in MiB from flags or MCPSCOPE_RETENTION_MAX_MB (0: none); undefined means the default. */
  retentionMaxMb?: number;
}

/** Values given on the command line; undefined means "not given". */
export interface ConfigFlags {
  tracesDir?: string;
  host?: string;
  port?: string | number;
  token?: string;
  /** Each value may itself be a comma-separated list. */
  allowedHosts?: string[];
  allowedOrigins?: string[];
  retentionDays?: string;
  retentionMaxMb?: string;
}

/**
 * Flags beat environment, environment beats defaults. `env` is passed in (only cli.ts reads
 * process.env); `home` defaults to the user's home directory.
 */
export function resolveConfig(flags: ConfigFlags, env: Record<string, string | undefined>, home: string = homedir()): InspectorConfig {
  const tracesDir = resolve(flags.tracesDir ?? nonEmpty(env.MCP_TRACES_DIR) ?? join(home, '.mcp_traces'));
  const host = flags.host ?? nonEmpty(env.MCPSCOPE_HOST) ?? DEFAULT_HOST;
  const port = parsePort(flags.port ?? nonEmpty(env.MCPSCOPE_PORT) ?? DEFAULT_PORT);
  const token = flags.token ?? nonEmpty(env.MCPSCOPE_TOKEN);
  // A flag given at all replaces the variable's list (it does not add to it).
  const allowedHosts = parseList(flags.allowedHosts ?? nonEmpty(env.MCPSCOPE_ALLOWED_HOSTS), parseAllowedHost);
  const allowedOrigins = parseList(flags.allowedOrigins ?? nonEmpty(env.MCPSCOPE_ALLOWED_ORIGINS), parseAllowedOrigin);
  const retentionDays = parseLimit('retention days', flags.retentionDays ?? nonEmpty(env.MCPSCOPE_RETENTION_DAYS));
  const retentionMaxMb = parseLimit('retention size (MiB)', flags.retentionMaxMb ?? nonEmpty(env.MCPSCOPE_RETENTION_MAX_MB));
  return {
    tracesDir,
    host,
    port,
    ...(retentionDays === undefined ? {} : { retentionDays }),
    ...(retentionMaxMb === undefined ? {} : { retentionMaxMb }),
    ...(token === undefined ? {} : { token }),
    ...(allowedHosts === undefined ? {} : { allowedHosts }),
    ...(allowedOrigins === undefined ? {} : { allowedOrigins }),
  };
}

/** Comma-separated (and/or repeated) values, trimmed, empty ones dropped; undefined when none remain. */
function parseList(given: string | string[] | undefined, parse: (value: string) => string): string[] | undefined {
  if (given === undefined) return undefined;
  const values = (Array.isArray(given) ? given : [given]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  return values.length === 0 ? undefined : [...new Set(values.map(parse))];
}

/**
 * Parses an allowed `Host` value: a DNS name, IPv4 address or bracketed IPv6 address, with an
 * optional port (no scheme, path or user info); returned in lower case. Throws INVALID_ARGUMENT.
 */
export function parseAllowedHost(value: string): string {
  const m = /^([a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\])(?::(\d{1,5}))?$/i.exec(value);
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) {
    throw new InspectorError('INVALID_ARGUMENT', `invalid allowed host ${JSON.stringify(value.slice(0, 100))}: expected NAME or NAME:PORT, e.g. inspector.example.com`);
  }
  return value.toLowerCase();
}

/**
 * Parses an allowed `Origin` value: `http(s)://host[:port]` (no path, query or user info; one
 * trailing `/` tolerated); returned as the browser sends it (lower case, no default port).
 * Throws INVALID_ARGUMENT.
 */
export function parseAllowedOrigin(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const onlyOrigin = url !== undefined && url.pathname === '/' && !value.includes('?') && !value.includes('#') && !url.username && !url.password && !/^[a-z]+:\/\/[^/]*\/./i.test(value);
  if (!url || !onlyOrigin || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InspectorError('INVALID_ARGUMENT', `invalid allowed origin ${JSON.stringify(value.slice(0, 100))}: expected SCHEME://HOST[:PORT], e.g. https://inspector.example.com`);
  }
  return url.origin;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Parses a TCP port (0 picks a free one); throws INVALID_ARGUMENT otherwise. */
/** A retention limit: a number >= 0 (0 turns that limit off). Throws INVALID_ARGUMENT. */
function parseLimit(what: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw new InspectorError('INVALID_ARGUMENT', `invalid ${what} ${JSON.stringify(value.slice(0, 40))}: expected a number >= 0 (0 turns it off)`);
  return n;
}

export function parsePort(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InspectorError('INVALID_ARGUMENT', `invalid port ${JSON.stringify(String(value))}: expected 0-65535`);
  }
  return n;
}
