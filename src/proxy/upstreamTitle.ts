import type { HttpUpstreamSpec } from './httpUpstream.js';
import type { StdioUpstreamSpec } from './stdioUpstream.js';

const SECRET_PARAM = /token|secret|password|passwd|api[_-]?key|auth|signature|sig$/i;

/**
 * A session title for an upstream: the command line (arguments with spaces quoted), or the
 * URL without user info and with secret-looking query values replaced by `REDACTED`.
 */
export function upstreamTitle(spec: ({ kind: 'stdio' } & StdioUpstreamSpec) | ({ kind: 'http' } & HttpUpstreamSpec)): string {
  if (spec.kind === 'stdio') {
    return [spec.command, ...(spec.args ?? [])].map((a) => (a === '' || /[\s"'\\]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  }
  return redactUrl(spec.url);
}

/** `url` without credentials; unparseable input comes back as `<invalid url>`. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '<invalid url>';
  }
  parsed.username = '';
  parsed.password = '';
  for (const key of [...parsed.searchParams.keys()]) if (SECRET_PARAM.test(key)) parsed.searchParams.set(key, 'REDACTED');
  return parsed.toString();
}
