import { InspectorError } from '../core/errors.js';

/** A parsed `--break-on` pattern: a method glob and an optional target glob. */
export interface BreakpointPattern {
  source: string;
  /** `target` when given, else the target read from `params` (see targetOf). */
  matches(item: { method: string; target?: string; params?: unknown }): boolean;
}

/**
 * Parses `METHOD[:TARGET]` (e.g. `tools/call`, `tools/call:delete_*`, `resources/read:file:///tmp/*`).
 * Both parts are globs (`*` any run of characters, `?` one character). The target is the tool
 * or prompt name (`params.name`) or the resource URI (`params.uri`); a pattern with a target
 * never matches a request without one. Throws INVALID_ARGUMENT for an empty or malformed pattern.
 */
export function parseBreakpointPattern(source: string): BreakpointPattern {
  const colon = source.indexOf(':');
  const methodPart = colon === -1 ? source : source.slice(0, colon);
  const targetPart = colon === -1 ? undefined : source.slice(colon + 1);
  if (!/^[A-Za-z0-9_/.*?-]+$/.test(methodPart) || targetPart === '') {
    throw new InspectorError(
      'INVALID_ARGUMENT',
      `invalid breakpoint ${JSON.stringify(source)}: expected METHOD or METHOD:TARGET, e.g. tools/call or tools/call:delete_*`,
    );
  }
  const method = globToRegExp(methodPart);
  const target = targetPart === undefined ? undefined : globToRegExp(targetPart);
  return {
    source,
    matches(item) {
      if (!method.test(item.method)) return false;
      if (!target) return true;
      const name = item.target ?? targetOf(item.params);
      return name !== undefined && target.test(name);
    },
  };
}

/** The name a target glob is matched against: `params.name`, else `params.uri`. */
export function targetOf(params: unknown): string | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const p = params as { name?: unknown; uri?: unknown };
  if (typeof p.name === 'string') return p.name;
  if (typeof p.uri === 'string') return p.uri;
  return undefined;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}
