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
}

/** Values given on the command line; undefined means "not given". */
export interface ConfigFlags {
  tracesDir?: string;
  host?: string;
  port?: string | number;
  token?: string;
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
  return token === undefined ? { tracesDir, host, port } : { tracesDir, host, port, token };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Parses a TCP port (0 picks a free one); throws INVALID_ARGUMENT otherwise. */
export function parsePort(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InspectorError('INVALID_ARGUMENT', `invalid port ${JSON.stringify(String(value))}: expected 0-65535`);
  }
  return n;
}
