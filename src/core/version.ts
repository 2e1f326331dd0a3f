import { readFileSync } from 'node:fs';

let cached: { name: string; version: string } | undefined;

/** Name and version from package.json (read once, on first call). */
export function packageInfo(): { name: string; version: string } {
  if (!cached) {
    // Works from src/core (vitest) and from dist/src/core (built).
    for (const rel of ['../../package.json', '../../../package.json']) {
      try {
        const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'mcpscope' && typeof pkg.version === 'string') {
          cached = { name: pkg.name, version: pkg.version };
          break;
        }
      } catch {
        // try the next location
      }
    }
    cached ??= { name: 'mcpscope', version: '0.0.0' };
  }
  return cached;
}
