import { InspectorError } from './errors.js';

/** OTLP/HTTP body encodings the exporter speaks (gRPC is not offered). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Where and how recorded spans are exported over OTLP/HTTP, resolved from a flag and the standard OTEL_* variables. */
export interface OtlpExportConfig {
  /** The traces URL requests are POSTed to (…/v1/traces unless a full path was given). */
  url: string;
  protocol: OtlpProtocol;
  /** Extra request headers (e.g. an API key); never logged. */
  headers: Record<string, string>;
  /** `service.name` of the exported resource. */
  serviceName: string;
  /** Further resource attributes (OTEL_RESOURCE_ATTRIBUTES). */
  resourceAttributes: Record<string, string>;
  /** Longest time one export request may take before it counts as failed (OTEL_EXPORTER_OTLP_TIMEOUT, ms). */
  timeoutMs: number;
}

/** Default `service.name` of exported spans. */
export const DEFAULT_OTLP_SERVICE_NAME = 'mcpscope';
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The OTLP export settings, or undefined when export is off (no flag and neither
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT nor OTEL_EXPORTER_OTLP_ENDPOINT). Precedence: the flag, then
 * the traces-specific variable (used as given, as the OpenTelemetry spec says), then the generic
 * one (`/v1/traces` appended). A flag URL whose path is empty or `/` also gets `/v1/traces`, so
 * `--otlp-endpoint http://collector:4318` works like the generic variable. `OTEL_SDK_DISABLED=true`
 * turns off export the variables ask for (not the flag's). Signal-specific
 * variables (`…_TRACES_HEADERS`, `…_TRACES_PROTOCOL`, `…_TRACES_TIMEOUT`) beat the generic ones.
 * `env` is passed in (only cli.ts reads process.env). Throws INVALID_ARGUMENT naming the bad value.
 */
export function resolveOtlpExport(flags: { otlpEndpoint?: string }, env: Record<string, string | undefined>): OtlpExportConfig | undefined {
  const v = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  let url: string | undefined;
  if (flags.otlpEndpoint !== undefined) url = withTracesPath(checkUrl('--otlp-endpoint', flags.otlpEndpoint), false);
  else if (v('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  else if (v('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined) url = checkUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', v('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')!).href;
  else if (v('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined) url = withTracesPath(checkUrl('OTEL_EXPORTER_OTLP_ENDPOINT', v('OTEL_EXPORTER_OTLP_ENDPOINT')!), true);
  if (url === undefined) return undefined;

  const protocolName = v('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = v(protocolName) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new InspectorError('INVALID_ARGUMENT', `${protocolName}=${JSON.stringify(protocol.slice(0, 40))} is not supported: use http/protobuf (default) or http/json`);
  }
  const headers = { ...parseKeyValues('OTEL_EXPORTER_OTLP_HEADERS', v('OTEL_EXPORTER_OTLP_HEADERS')), ...parseKeyValues('OTEL_EXPORTER_OTLP_TRACES_HEADERS', v('OTEL_EXPORTER_OTLP_TRACES_HEADERS')) };
  for (const name of Object.keys(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new InspectorError('INVALID_ARGUMENT', `OTEL_EXPORTER_OTLP_HEADERS: invalid header name ${JSON.stringify(name.slice(0, 40))}`);
  }
  const resourceAttributes = parseKeyValues('OTEL_RESOURCE_ATTRIBUTES', v('OTEL_RESOURCE_ATTRIBUTES'));
  const serviceName = v('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? DEFAULT_OTLP_SERVICE_NAME;
  const timeoutName = v('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT' : 'OTEL_EXPORTER_OTLP_TIMEOUT';
  const timeoutText = v(timeoutName);
  const timeoutMs = timeoutText === undefined ? DEFAULT_TIMEOUT_MS : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw new InspectorError('INVALID_ARGUMENT', `${timeoutName}=${JSON.stringify(timeoutText?.slice(0, 40))}: expected milliseconds from 1 to 600000`);
  }
  return { url, protocol, headers, serviceName, resourceAttributes, timeoutMs };
}

function checkUrl(what: string, value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InspectorError('INVALID_ARGUMENT', `${what}: expected an http(s) URL, e.g. http://127.0.0.1:4318, got ${JSON.stringify(value.slice(0, 100))}`);
  }
  return url;
}

/** The generic endpoint is a base: `/v1/traces` goes after its path; a flag's only when it has none. */
function withTracesPath(url: URL, always: boolean): string {
  if (!always && url.pathname !== '/' && url.pathname !== '') return url.href;
  const u = new URL(url.href);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/v1/traces`;
  return u.href;
}

/** W3C Baggage-style `k=v,k2=v2` lists (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES), values percent-decoded. */
export function parseKeyValues(what: string, text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined) return out;
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    const key = eq === -1 ? '' : item.slice(0, eq).trim();
    if (key === '') throw new InspectorError('INVALID_ARGUMENT', `${what}: expected key=value pairs separated by commas, got ${JSON.stringify(item.slice(0, 40))}`);
    let value = item.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // not percent-encoded after all: keep it as written
    }
    out[key] = value;
  }
  return out;
}
